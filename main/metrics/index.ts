// Public surface of the pure numeric kernels (DOMAIN.md weight analyses): the job runner and
// tests import from here. Each module is a pure function family on typed arrays, no I/O.
export * from './moments';
export * from './distance';
export * from './histogram';
export * from './spectrum';
export * from './fits';
export * from './qq';
export * from './embedding';
export * from './linear-algebra';
export * from './token-ranking';
export * from './svd-directions';
export * from './changepoints';
