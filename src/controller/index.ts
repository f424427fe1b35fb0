export { Controller, type ControllerOptions, type StopReason } from './controller.js';
