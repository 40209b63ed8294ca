/**
 * Trackside's tokens and the interfaces they provide, one file per job under
 * `tokens/`; every module imports them from here.
 */
export * from './tokens/kernelLifecycle';
export * from './tokens/mlflow';
export * from './tokens/seriesStore';
export * from './tokens/service';
export * from './tokens/modelFiles';
export * from './tokens/registry';
export * from './tokens/serving';
export * from './tokens/projects';
export * from './tokens/syncStatus';
