export * from './cluster.js';
export * from "./generate.js";
