/**
 * The entry of a worker thread whose source is `<name>.ts` beside the calling module. Built
 * (dist/origin/main.js), it is `<name>.js` beside the bundle (scripts/build.sh). From source (tsx,
 * vitest), the .ts file, loaded through tsx's API: a worker thread does not inherit the loader
 * the main thread was started with.
 */
export function workerEntry(name: string, here: string): { file: string | URL; eval: boolean } {
  if (!here.endsWith('.ts')) return { file: new URL(`./${name}.js`, here), eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, here).href;
  return { file: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}
