import { classifyError, type BatchResult } from '@switchyard/sdk-kit';

/** Runs one request for some of a batch's items and writes its per-item results (or its failure) into `results`. */
export async function settle(results: BatchResult, indexes: number[], send: () => Promise<BatchResult>): Promise<void> {
  if (indexes.length === 0) return;
  try {
    const sent = await send();
    indexes.forEach((index, i) => {
      results[index] = sent[i];
    });
  } catch (error) {
    const failed = classifyError(error);
    for (const index of indexes) results[index] = failed;
  }
}
