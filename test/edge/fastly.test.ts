import { edgeSuite } from './suite.ts';

edgeSuite('fastly');
