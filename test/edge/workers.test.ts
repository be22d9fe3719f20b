import { edgeSuite } from './suite.ts';

edgeSuite('workers');
