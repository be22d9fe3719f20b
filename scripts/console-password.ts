/**
 * npm run console:password — prints the scrypt hash of an operator password for
 * CONSOLE_PASSWORD_HASH. The password is read from standard input (one line), so it stays out
 * of the shell history:  npm run -s console:password < password.txt   or type it and press Enter.
 */
import { createInterface } from 'node:readline';
import { hashPassword } from '../origin/console/password.ts';

const rl = createInterface({ input: process.stdin, terminal: false });
const line = await new Promise<string>((resolve) => {
  rl.once('line', resolve);
  rl.once('close', () => resolve(''));
});
rl.close();
if (line.length < 12) {
  process.stderr.write('console:password: give a password of at least 12 characters on standard input\n');
  process.exit(64);
}
process.stdout.write(`${await hashPassword(line)}\n`);
