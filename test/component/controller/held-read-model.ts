import { ReadModel, type ReadModelOptions } from '../../../src/readmodel/index.js';

export interface HeldReadModel {
  /** Opens a real read model whose writes wait while held. */
  readonly open: (options: ReadModelOptions) => Promise<ReadModel>;
  /** Lets the held writes and later ones go through. */
  readonly release: () => void;
  /** Holds writes again from now on, until the next `release()`. */
  readonly hold: () => void;
  /** The held and later writes store nothing (as a process killed before them leaves the read model). */
  readonly discard: () => void;
  /** The read models opened so far. */
  readonly models: readonly ReadModel[];
}

/** Real read models whose writes wait until `release()` (held from the start). */
export function heldReadModel(): HeldReadModel {
  let release = (): void => undefined;
  let held = Promise.resolve();
  const hold = (): void => {
    held = new Promise<void>((resolve) => (release = resolve));
  };
  hold();
  let discarding = false;
  const models: ReadModel[] = [];
  const open = async (options: ReadModelOptions): Promise<ReadModel> => {
    const model = await ReadModel.open(options);
    const apply = model.apply.bind(model);
    model.apply = async (batch) => {
      await held;
      if (!discarding) await apply(batch);
    };
    models.push(model);
    return model;
  };
  return { open, release: () => release(), hold, discard: () => (discarding = true), models };
}
