// The lock primitive lives in the engine now (electron/engine/instance-lock.ts), which takes the folder+target
// locks itself; re-exported here for the shells that lock other things (serve's config).
export * from '../engine/instance-lock.js';
