import { dialectsThroughEdge } from './edge.suite.ts';

dialectsThroughEdge('workers');
