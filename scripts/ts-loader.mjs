// A small TypeScript loader for production runs: esbuild strips types, nothing else.
// tsx (used for development and tests) compiles with esbuild's keepNames, which wraps every
// function expression in __name(fn, "…"): an extra defineProperty, and a property store, per
// closure created. On a server that creates closures per connection and per message that is
// memory and CPU for nothing (figures in the README, "Run it").
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const TS = /\.(?:ts|mts)$/;

export async function resolve(specifier, context, next) {
  // Our sources import each other as ./x.js (NodeNext style); the file on disk is ./x.ts.
  const local = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
  if (local && specifier.endsWith('.js') && context.parentURL && TS.test(context.parentURL)) {
    const url = new URL(specifier, context.parentURL);
    const ts = new URL(url.href.replace(/\.js$/, '.ts'));
    if (!existsSync(fileURLToPath(url)) && existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!TS.test(url)) return next(url, context);
  const path = fileURLToPath(url);
  const out = await transform(await readFile(path, 'utf8'), {
    loader: 'ts', format: 'esm', target: `node${process.versions.node}`, sourcemap: 'inline', sourcefile: path, keepNames: false,
  });
  return { format: 'module', source: out.code, shortCircuit: true };
}
