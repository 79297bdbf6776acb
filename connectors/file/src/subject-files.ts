import { basename } from 'node:path';
import { SubjectMatcher, type SubjectRecord } from '@switchyard/sdk-kit';
import { readJsonLines, rewriteWithout } from './jsonl-lines.js';
import type { RotatingFile } from './rotating-file.js';

// Two erasures rewriting the same file at once would each rename their copy over the other's.
const exclusive = new WeakMap<RotatingFile, Promise<unknown>>();

function serialised<T>(writer: RotatingFile, work: () => Promise<T>): Promise<T> {
  const run = (exclusive.get(writer) ?? Promise.resolve()).then(work, work);
  exclusive.set(
    writer,
    run.catch(() => undefined),
  );
  return run;
}

/** A matcher for the subject, with the ids recorded beside their email in any of the files learnt. */
async function matcherFor(files: string[], identities: Record<string, string>): Promise<SubjectMatcher> {
  const matcher = new SubjectMatcher(identities);
  if (!matcher.hasEmail) return matcher;
  for (const file of files) for await (const { record } of readJsonLines(file)) matcher.learnFrom(record);
  return matcher;
}

async function holdsSubject(file: string, matcher: SubjectMatcher): Promise<boolean> {
  for await (const { record } of readJsonLines(file)) if (matcher.matches(record)) return true;
  return false;
}

/**
 * Removes every line of the subject from the writer's files. A file that holds some is first released by
 * the writer (new lines go to a new file), then rewritten and renamed over the original; the writer runs
 * in this thread, so no line can be appended between the release and the rewrite. Returns the lines removed.
 */
export function eraseSubject(writer: RotatingFile, identities: Record<string, string>): Promise<number> {
  return serialised(writer, async () => {
    const files = writer.files();
    const matcher = await matcherFor(files, identities);
    let removed = 0;
    for (const file of files) {
      if (!(await holdsSubject(file, matcher))) continue;
      writer.release(file);
      removed += await rewriteWithout(file, (record) => matcher.matches(record));
    }
    return removed;
  });
}

/** Every line of the subject in the writer's files, with the file's name as the record's source. */
export function exportSubject(writer: RotatingFile, identities: Record<string, string>): Promise<SubjectRecord[]> {
  return serialised(writer, async () => {
    const files = writer.files();
    const matcher = await matcherFor(files, identities);
    const records: SubjectRecord[] = [];
    for (const file of files) {
      for await (const { record } of readJsonLines(file)) {
        if (matcher.matches(record)) records.push({ source: basename(file), data: record as Record<string, unknown> });
      }
    }
    return records;
  });
}
