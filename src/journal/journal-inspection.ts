import type { EventId } from '../common/index.js';
import type { FileScan, JournalProblem } from './journal-file-scan.js';
import type { StampedEvent } from './journal-records.js';
import { surveyJournal } from './journal-survey.js';

/** A problem as reports show it. */
export interface ReportedProblem {
  readonly file: string;
  readonly offset: number;
  readonly message: string;
}

export interface VerifiedFile {
  readonly name: string;
  readonly records: number;
  readonly events: number;
  readonly firstEventId: EventId | undefined;
  readonly lastEventId: EventId;
  readonly bytes: number;
}

export interface VerifyReport {
  /** True when the next start would recover without cutting anything. */
  readonly ok: boolean;
  readonly files: readonly VerifiedFile[];
  readonly problems: readonly ReportedProblem[];
}

export interface InspectedFile extends VerifiedFile {
  readonly fileEventId: EventId;
  readonly generation: number | undefined;
  readonly createdAt: number | undefined;
  readonly snapshotRecords: number | undefined;
  readonly eventRecords: number;
}

/** What `tandem journal inspect` prints. */
export interface JournalSummary {
  readonly journalId: string | undefined;
  readonly files: readonly InspectedFile[];
  readonly events: number;
  /** Events counted by their `TYPE` (events without a string TYPE under `(untyped)`). */
  readonly eventTypes: Readonly<Record<string, number>>;
  readonly firstEventId: EventId | undefined;
  readonly lastEventId: EventId | undefined;
  readonly leftovers: readonly string[];
  readonly problems: readonly ReportedProblem[];
}

/** Checks every record of every file, changing nothing. */
export async function verifyJournal(dir: string): Promise<VerifyReport> {
  const survey = await surveyJournal(dir, () => ({ keepSnapshot: false, keepEvents: false }));
  const problems = survey.problems.map(report);
  if (survey.scans.length === 0) problems.push({ file: dir, offset: 0, message: 'no journal files in this directory' });
  return { ok: problems.length === 0, files: survey.scans.map(verified), problems };
}

/** Summarises the journal for an operator, changing nothing. */
export async function inspectJournal(dir: string): Promise<JournalSummary> {
  const types = new Map<string, number>();
  const count = (events: readonly StampedEvent[]): void => {
    for (const { event } of events) {
      const type = typeof event === 'object' && event !== null && 'TYPE' in event && typeof event.TYPE === 'string' ? event.TYPE : '(untyped)';
      types.set(type, (types.get(type) ?? 0) + 1);
    }
  };
  const survey = await surveyJournal(dir, () => ({ keepSnapshot: false, keepEvents: false, onEvents: count }));
  const files = survey.scans.map((scan): InspectedFile => ({
    ...verified(scan),
    fileEventId: scan.ref.fileEventId,
    generation: scan.header?.generation,
    createdAt: scan.header?.createdAt,
    snapshotRecords: scan.header?.snapshotCount,
    eventRecords: scan.eventRecords,
  }));
  const withEvents = files.filter((f) => f.events > 0);
  return {
    journalId: survey.scans.find((s) => s.header !== undefined)?.header?.journalId,
    files,
    events: files.reduce((sum, f) => sum + f.events, 0),
    eventTypes: Object.fromEntries([...types].sort(([a], [b]) => a.localeCompare(b))),
    firstEventId: withEvents[0]?.firstEventId,
    lastEventId: withEvents[withEvents.length - 1]?.lastEventId,
    leftovers: survey.listing.leftovers,
    problems: survey.problems.map(report),
  };
}

function verified(scan: FileScan): VerifiedFile {
  return {
    name: scan.ref.name,
    records: scan.records,
    events: scan.eventCount,
    firstEventId: scan.firstEventId,
    lastEventId: scan.lastEventId,
    bytes: scan.bytes,
  };
}

function report(problem: JournalProblem): ReportedProblem {
  const message = problem.tail ? `${problem.message} (a torn last record: the next start cuts it off and keeps its bytes)` : problem.message;
  return { file: problem.file, offset: problem.offset, message };
}
