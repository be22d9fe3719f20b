import { failuresSuite } from './failures.suite.ts';

failuresSuite('workers');
