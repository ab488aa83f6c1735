// Build-time assembly of the WebAssembly text modules (*.wat, hand-written kernels such as
// main/compute/eigen/bulge.wat) with the `wabt` npm package: an import of a .wat file becomes its
// binary, inlined as base64, so nothing is assembled at run time and no .wasm file is shipped.
// A Rollup/Vite/Rolldown plugin (the `load` hook), used by electron.vite.config.ts,
// vitest.config.ts and the bench harnesses (plain JavaScript so that the .mjs harnesses load it;
// types in wat-plugin.d.mts).
import { readFileSync } from 'node:fs';

/** @returns {{ name: string, load: (id: string) => Promise<string | null> }} */
export function watPlugin() {
  return {
    name: 'atlas-wat',
    async load(id) {
      if (!id.endsWith('.wat')) return null;
      const wabt = await (await import('wabt')).default();
      const module = wabt.parseWat(id, readFileSync(id, 'utf8'), { simd: true });
      try {
        module.validate();
        const base64 = Buffer.from(module.toBinary({}).buffer).toString('base64');
        return `export default Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));`;
      } finally {
        module.destroy();
      }
    },
  };
}
