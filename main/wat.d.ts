// WebAssembly text modules (*.wat) are assembled at build time (tools/wat-plugin.mjs, used by
// electron.vite.config.ts, vitest.config.ts and the bench harnesses): the import is the binary.
declare module '*.wat' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
