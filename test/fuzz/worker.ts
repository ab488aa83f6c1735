// Worker-thread entry of the fuzzer. Source maps are enabled before the body (worker-main.ts) and
// the readers are compiled, so that crash stacks name main/*.ts lines rather than the bundle.
process.setSourceMapsEnabled(true);
await import('./worker-main');
export {};
