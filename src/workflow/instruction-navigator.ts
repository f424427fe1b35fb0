import { AssertionError } from 'node:assert';
import { forkBranchId, indexOf, isBranchName, type BranchName, type Instruction, type Position, type Workflow } from '../state/index.js';

/** An instruction that encloses a position, and the branch of it the position lies in. */
export interface Enclosing {
  readonly position: Position;
  readonly instruction: Instruction;
  readonly branch: BranchName;
}

/** What stands at a position: the instruction (undefined at the end of a block) and its enclosing blocks, outermost first. */
export interface Located {
  readonly instruction: Instruction | undefined;
  readonly block: readonly Instruction[];
  readonly enclosing: readonly Enclosing[];
}

/** The instructions of `branch` of `instruction`, or undefined when it has no such branch. */
export function branchInstructions(instruction: Instruction, branch: string): readonly Instruction[] | undefined {
  switch (instruction.TYPE) {
    case 'If':
      return branch === 'then' ? instruction.then : branch === 'else' ? instruction.else : undefined;
    case 'TryCatch':
      return branch === 'try' ? instruction.try : branch === 'catch' ? instruction.catch : undefined;
    case 'Retry':
      return branch === 'retry' ? instruction.instructions : undefined;
    case 'Fork': {
      const id = forkBranchId(branch);
      return instruction.branches.find((b) => b.id === id)?.instructions;
    }
    case 'Execute':
    case 'Fail':
    case 'Finish':
      return undefined;
    default:
      return unreachable(instruction);
  }
}

/** Walks a position through the workflow; a position that does not exist is a programming error. */
export function locate(workflow: Workflow, position: Position): Located {
  let block: readonly Instruction[] = workflow.instructions;
  const enclosing: Enclosing[] = [];
  for (let i = 0; i + 1 < position.length; i += 2) {
    const index = position[i];
    const branch = position[i + 1];
    const instruction = typeof index === 'number' ? block[index] : undefined;
    if (instruction === undefined || typeof branch !== 'string' || !isBranchName(branch)) return noSuchPosition(workflow, position);
    const inner = branchInstructions(instruction, branch);
    if (inner === undefined) return noSuchPosition(workflow, position);
    enclosing.push({ position: position.slice(0, i + 1), instruction, branch });
    block = inner;
  }
  const index = indexOf(position);
  if (index > block.length) return noSuchPosition(workflow, position);
  return { instruction: block[index], block, enclosing };
}

function noSuchPosition(workflow: Workflow, position: Position): never {
  throw new AssertionError({
    message: `position ${JSON.stringify(position)} does not exist in workflow ${workflow.path} version ${workflow.versionId}`,
  });
}

function unreachable(x: never): never {
  throw new Error(`unhandled instruction ${JSON.stringify(x)}`);
}
