// Chart functions: data -> echarts option, shared by the app (renderer) and the exporter (Node).
export * from './types';
export * from './format';
export * from './title';
export * from './palette';
export * from './step-axis';
export * from './frames';
export * from './heatmap';
export * from './curves';
export * from './histogram';
export { isSignedLogEdges, linearRange, signedLogTicks, toLinearBins } from './signed-log';
export * from './qq';
export * from './spectrum';
export * from './correlation';
export * from './svd-directions';
export * from './trajectory-overlays';
export * from './co-update';
export * from './scaling';
export * from './tokens';
