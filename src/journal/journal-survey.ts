import { listJournal, type JournalFileRef, type JournalListing } from './journal-files.js';
import { scanJournalFile, type FileScan, type JournalProblem } from './journal-file-scan.js';
import type { FileScanOptions } from './journal-file-scan.js';

/** Every file of a journal directory, read and cross-checked. */
export interface JournalSurvey {
  readonly listing: JournalListing;
  /** One scan per file, oldest first. */
  readonly scans: readonly FileScan[];
  /** Problems inside files and between them, in file order. */
  readonly problems: readonly JournalProblem[];
}

/** How to read each file; `newest` is true for the last one. */
export type SurveyOptions = (ref: JournalFileRef, newest: boolean) => FileScanOptions;

/**
 * Reads every journal file in order and checks each against its predecessor: the
 * same journalId, consecutive generations, and a fileEventId equal to the last
 * EventId before it. Changes nothing.
 */
export async function surveyJournal(dir: string, optionsFor: SurveyOptions): Promise<JournalSurvey> {
  const listing = await listJournal(dir);
  const scans: FileScan[] = [];
  const problems: JournalProblem[] = [];
  const newest = listing.files.length - 1;
  for (const [index, ref] of listing.files.entries()) {
    const scan = await scanJournalFile(dir, ref, optionsFor(ref, index === newest));
    const previous = scans[scans.length - 1];
    if (previous !== undefined) {
      const linkProblem = checkLink(previous, scan);
      if (linkProblem !== undefined) problems.push(linkProblem);
    }
    if (scan.problem !== undefined) problems.push(scan.problem);
    scans.push(scan);
  }
  return { listing, scans, problems };
}

function checkLink(previous: FileScan, scan: FileScan): JournalProblem | undefined {
  const file = scan.ref.name;
  const header = scan.header;
  const before = previous.header;
  if (header === undefined || before === undefined) return undefined;
  if (header.journalId !== before.journalId) {
    return { file, offset: 0, tail: false, message: `journalId ${header.journalId} differs from ${before.journalId} in ${previous.ref.name}` };
  }
  if (header.generation !== before.generation + 1) {
    return { file, offset: 0, tail: false, message: `generation ${header.generation} does not follow generation ${before.generation} of ${previous.ref.name}` };
  }
  // A damaged predecessor reports its own problem; its last id is then meaningless here.
  if (previous.problem === undefined && header.fileEventId !== previous.lastEventId) {
    return {
      file,
      offset: 0,
      tail: false,
      message: `starts after EventId ${header.fileEventId} but ${previous.ref.name} ends with EventId ${previous.lastEventId}`,
    };
  }
  return undefined;
}
