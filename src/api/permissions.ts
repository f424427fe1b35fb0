import { TandemError } from '../common/index.js';
import type { UserContext } from './controller-port.js';

/** The JS7 permission names Tandem knows. `SuperPermission` includes all others. */
export type Permission = 'ReadOnly' | 'UpdateItem' | 'ChangeOrder' | 'Admin' | 'SuperPermission';

const commandPermissions: ReadonlyMap<string, Permission> = new Map<string, Permission>([
  ['DeployWorkflow', 'UpdateItem'],
  ['DeploySchedule', 'UpdateItem'],
  ['DeleteSchedule', 'UpdateItem'],
  ['AddOrder', 'ChangeOrder'],
  ['CancelOrders', 'ChangeOrder'],
  ['SuspendOrders', 'ChangeOrder'],
  ['ResumeOrders', 'ChangeOrder'],
  ['TakeSnapshot', 'Admin'],
  ['ShutDown', 'Admin'],
]);

/**
 * The permission a command body needs, judged only by its `TYPE`; the controller
 * validates the rest. A body without a string `TYPE` is no command at all and
 * needs no permission (the controller refuses it). A `TYPE` this table does not
 * list needs `Admin`: a command added to the controller later is closed to
 * ordinary users until someone decides otherwise here.
 */
export function permissionForCommand(body: unknown): Permission | undefined {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, 'TYPE')) return undefined;
  const type: unknown = (body as { TYPE?: unknown }).TYPE;
  if (typeof type !== 'string') return undefined;
  return commandPermissions.get(type) ?? 'Admin';
}

/** True when the user holds `permission` or `SuperPermission`. */
export function hasPermission(user: UserContext, permission: Permission): boolean {
  return user.permissions.has('SuperPermission') || user.permissions.has(permission);
}

/** Throws `Forbidden` unless the user holds `permission`. */
export function requirePermission(user: UserContext, permission: Permission | undefined): void {
  if (permission === undefined || hasPermission(user, permission)) return;
  throw new TandemError('Forbidden', `User ${user.userId} lacks the permission ${permission}.`, {
    userId: user.userId,
    permission,
  });
}
