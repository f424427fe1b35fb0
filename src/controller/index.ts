export { Controller, type ControllerOptions, type StopReason } from './controller.js';
export { PassiveNode, type PassiveNodeOptions } from './passive-node.js';
export { claimDataDirectory } from './node-identity.js';
/** A node for its whole life: holds the role its journal gives it and changes it in-process. */
export { ClusterNode, type ClusterNodeOptions, type LicenceCheck } from './cluster-node.js';
