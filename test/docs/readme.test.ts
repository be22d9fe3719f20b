import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_MAP } from '../../origin/config/load.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

// The README is what an SRE configures from: nothing the code reads may be missing from it.
describe('README', () => {
  it('starts with the two commands', () => {
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5));
    expect(firstBlock).toContain('npm start');
    expect(firstBlock).toContain('npm test');
  });

  it('documents every environment variable the origin reads', () => {
    const missing = ENV_MAP.map(([env]) => env).filter((env) => !readme.includes(`\`${env}\``) && !readme.includes(`${env}\``) && !readme.includes(`\`${env}`));
    expect(missing).toEqual([]);
  });

  it('documents every npm script', () => {
    const missing = Object.keys(pkg.scripts).filter((name) => !['start', 'test'].includes(name) && !readme.includes(`npm run ${name}`));
    expect(missing).toEqual([]);
  });
});
