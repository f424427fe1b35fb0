import { ReadModel, type ReadModelOptions } from '../../../src/readmodel/index.js';

/**
 * Opens real read models whose writes wait until `release()`; after `discard()` the held
 * and later writes store nothing (as a process killed before them leaves the read model).
 */
export function heldReadModel(): { open: (options: ReadModelOptions) => Promise<ReadModel>; release: () => void; discard: () => void } {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let discarding = false;
  const open = async (options: ReadModelOptions): Promise<ReadModel> => {
    const model = await ReadModel.open(options);
    const apply = model.apply.bind(model);
    model.apply = async (batch) => {
      await held;
      if (!discarding) await apply(batch);
    };
    return model;
  };
  return { open, release, discard: () => (discarding = true) };
}
