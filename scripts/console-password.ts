/**
 * npm run console:password — prints the scrypt hash of an operator password for
 * CONSOLE_PASSWORD_HASH. The password is read from standard input (one line), so it stays out
 * of the shell history:  npm run -s console:password < password.txt   or type it and press Enter.
 */
import { createInterface } from 'node:readline';
import { hashPassword } from '../origin/console/password.ts';
import { cliArgs, exitBadUsage } from '../shared/cli.ts';

cliArgs({
  name: 'console:password',
  usage: `Usage: npm run console:password < password.txt   (add -s after run to print the hash alone)

Prints the scrypt hash of the operator password read from standard input (one line, at least 12
characters), for CONSOLE_PASSWORD_HASH. No flags besides --help.`,
  options: {},
});

const rl = createInterface({ input: process.stdin, terminal: false });
const line = await new Promise<string>((resolve) => {
  rl.once('line', resolve);
  rl.once('close', () => resolve(''));
});
rl.close();
if (line.length < 12) {
  exitBadUsage('console:password: give a password of at least 12 characters on standard input');
}
process.stdout.write(`${await hashPassword(line)}\n`);
