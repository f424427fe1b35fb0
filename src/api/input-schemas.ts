import { z } from 'zod';
import { asEventId, type EventId } from '../common/index.js';

export { parseInput } from '../common/index.js';

const eventIdText = z
  .string()
  .regex(/^\d{1,16}$/, 'must be an EventId (a non-negative integer)')
  .transform(Number)
  .refine(Number.isSafeInteger, 'must be at most 2^53')
  .transform((n): EventId => asEventId(n));

const limitText = (max: number, fallback: number): z.ZodType<number> =>
  z
    .string()
    .regex(/^\d{1,6}$/, 'must be a positive integer')
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be between 1 and ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

/** Long-polls wait at most this long, whatever the client asks. */
export const maxEventTimeoutSeconds = 60;

/** `GET /event?after=&timeout=&limit=`. `after` may also come as SSE `Last-Event-ID`, so it is optional here. */
export const eventQuerySchema = z.object({
  after: eventIdText.optional(),
  timeout: z
    .string()
    .regex(/^\d{1,6}(\.\d{1,3})?s?$/, 'must be seconds, e.g. 30 or 2.5')
    .transform((s) => Math.min(Number(s.replace(/s$/, '')), maxEventTimeoutSeconds))
    .optional()
    .transform((n) => n ?? 0),
  limit: limitText(10_000, 1_000),
});

/** The SSE `Last-Event-ID` header. */
export const lastEventIdSchema = eventIdText;

/** `GET /order/:id/log?after=&limit=`. */
export const jobLogQuerySchema = z.object({
  after: eventIdText.optional(),
  limit: limitText(10_000, 1_000),
});

const loginSchema = z.object({
  TYPE: z.literal('Login'),
  userAndPassword: z
    .object({
      userId: z.string().min(1).max(200),
      password: z.string().max(1_000),
    })
    .optional(),
});

const logoutSchema = z.object({
  TYPE: z.literal('Logout'),
  sessionToken: z.string().min(1).max(200).optional(),
});

/** The body of `POST /session`. */
export const sessionCommandSchema = z.discriminatedUnion('TYPE', [loginSchema, logoutSchema]);
export type SessionCommand = z.infer<typeof sessionCommandSchema>;

/** Path parameters: ids and workflow paths are passed on as text, but not unbounded. */
export const pathParamSchema = z.string().min(1).max(1_000);
