// One lifecycle for every job kind: pending → running ⇄ paused → finishing → finished | aborted.
// The kind's work runs as a spawned promise actor (so it survives running ⇄ paused); it reports
// counters as it goes and gets an AbortSignal that fires when the job is aborted. A work that throws
// ends the job `aborted` with the error in its context: a failing job is reported, never fatal.
import { assertEvent, assign, fromPromise, setup, spawnChild, stopChild } from 'xstate';
import { ZERO_COUNTERS, type Counters } from '../../protocol/xact.ts';

export interface WorkHandle {
  readonly signal: AbortSignal;
  /** Latest totals of this job on this node (not increments). */
  report(counters: Counters): void;
}

export interface WorkResult {
  counters: Counters;
  /** Non-fatal error (AIS Snap `err`), e.g. objects of a list that did not exist. */
  err?: string;
}

export type JobWork = (h: WorkHandle) => Promise<WorkResult>;

export interface JobInput {
  id: string;
  kind: string;
  work: JobWork;
}

export interface JobContext {
  id: string;
  kind: string;
  work: JobWork;
  counters: Counters;
  err: string;
  abortErr: string;
}

export type JobEvent =
  | { type: 'job.start' }
  | { type: 'job.pause' }
  | { type: 'job.resume' }
  | { type: 'job.abort'; reason: string }
  | { type: 'job.progress'; counters: Counters };

const WORK_ID = 'work';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What running and paused share: the work reports, ends, fails, or the job is aborted. */
const WHILE_WORKING = {
  'job.progress': { actions: 'recordProgress' },
  'xstate.done.actor.work': { target: 'finishing', actions: 'recordResult' },
  'xstate.error.actor.work': { target: 'aborted', actions: 'recordFailure' },
  'job.abort': { target: 'aborted', actions: ['recordAbort', 'stopWork'] },
} as const;

export const jobMachine = setup({
  types: {} as { context: JobContext; events: JobEvent; input: JobInput },
  actors: {
    work: fromPromise<WorkResult, { work: JobWork; report: (c: Counters) => void }>(({ input, signal }) =>
      input.work({ signal, report: input.report }),
    ),
    // The fin stage: nothing to do by default; kinds with streams to drain provide their own.
    fin: fromPromise<void, { id: string }>(async () => {}),
  },
  actions: {
    spawnWork: spawnChild('work', {
      id: WORK_ID,
      input: ({ context, self }) => ({
        work: context.work,
        report: (counters: Counters) => self.send({ type: 'job.progress', counters }),
      }),
    }),
    stopWork: stopChild(WORK_ID),
    recordProgress: assign(({ event }) => {
      assertEvent(event, 'job.progress');
      return { counters: event.counters };
    }),
    recordAbort: assign(({ event }) => {
      assertEvent(event, 'job.abort');
      return { abortErr: event.reason || 'aborted' };
    }),
    recordResult: assign(({ event }) => {
      const out = (event as unknown as { output: WorkResult }).output;
      return { counters: out.counters, err: out.err ?? '' };
    }),
    recordFailure: assign(({ event }) => {
      const msg = errText((event as unknown as { error: unknown }).error);
      return { abortErr: msg, err: msg };
    }),
  },
}).createMachine({
  id: 'job',
  initial: 'pending',
  context: ({ input }) => ({ id: input.id, kind: input.kind, work: input.work, counters: ZERO_COUNTERS, err: '', abortErr: '' }),
  states: {
    pending: {
      on: {
        'job.start': { target: 'running', actions: 'spawnWork' },
        'job.abort': { target: 'aborted', actions: 'recordAbort' },
      },
    },
    running: {
      on: { 'job.pause': 'paused', ...WHILE_WORKING },
    },
    // Pausing is cooperative: the work keeps its place; a work that completes while paused finishes.
    paused: {
      on: { 'job.resume': 'running', ...WHILE_WORKING },
    },
    finishing: {
      invoke: {
        src: 'fin',
        input: ({ context }) => ({ id: context.id }),
        onDone: 'finished',
        onError: { target: 'aborted', actions: 'recordFailure' },
      },
      on: { 'job.abort': { target: 'aborted', actions: 'recordAbort' } },
    },
    finished: { type: 'final' },
    aborted: { type: 'final' },
  },
});

export type JobMachine = typeof jobMachine;
export const JOB_FINAL_STATES = ['finished', 'aborted'] as const;
