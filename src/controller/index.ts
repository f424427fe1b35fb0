export { Controller, type ControllerOptions, type StopReason } from './controller.js';
export { PassiveNode, type PassiveNodeOptions } from './passive-node.js';
export { claimDataDirectory } from './node-identity.js';
