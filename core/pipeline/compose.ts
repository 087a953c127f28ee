export type Next = () => Promise<void>;

/**
 * One pipeline step. `Requires` are the context fields it reads, `Adds` those it sets for later steps;
 * the Pipeline builder checks them, so a step placed before its inputs exist fails to type-check.
 */
export interface Step<Requires extends object, Adds extends object = {}> {
  readonly name: string;
  run(ctx: Requires & Partial<Adds>, next: Next): Promise<void>;
}

// The composed chain only ever sees one context object; its type was checked when the chain was built.
export type AnyStep = Step<any, any>;

/** Told how long each step took itself, in milliseconds: its time minus the time inside `next()`. */
export type StepObserver = (step: string, ms: number) => void;

/** Onion composition as in Koa and Hono: each step may act before and after `next()`, at most once. */
export function compose<Ctx extends object>(steps: readonly AnyStep[], observe?: StepObserver): (ctx: Ctx) => Promise<void> {
  return (ctx) => {
    let last = -1;
    const dispatch = async (index: number): Promise<void> => {
      if (index <= last) throw new Error(`step "${steps[index - 1]?.name}" called next() more than once`);
      last = index;
      const step = steps[index];
      if (!step) return;
      if (!observe) return step.run(ctx, () => dispatch(index + 1));
      const started = performance.now();
      let inner = 0;
      try {
        await step.run(ctx, async () => {
          const entered = performance.now();
          try {
            await dispatch(index + 1);
          } finally {
            inner += performance.now() - entered;
          }
        });
      } finally {
        observe(step.name, performance.now() - started - inner);
      }
    };
    return dispatch(0);
  };
}

type MissingFields<Ctx, Requires> = Exclude<keyof Requires, keyof Ctx>;

/** An ordered, type-checked list of steps. `use` returns a new pipeline whose context includes the step's additions. */
export class Pipeline<Ctx extends object> {
  readonly #steps: readonly AnyStep[];

  private constructor(steps: readonly AnyStep[]) {
    this.#steps = steps;
  }

  static start<Base extends object>(): Pipeline<Base> {
    return new Pipeline<Base>([]);
  }

  use<Requires extends object, Adds extends object>(
    step: Step<Requires, Adds>,
    ...missing: Ctx extends Requires ? [] : [error: 'the step needs context fields no earlier step adds', fields: MissingFields<Ctx, Requires>]
  ): Pipeline<Ctx & Adds> {
    void missing;
    return new Pipeline<Ctx & Adds>([...this.#steps, step]);
  }

  get stepNames(): string[] {
    return this.#steps.map((step) => step.name);
  }

  /** The runnable chain; the context is declared with the base fields and filled in by the steps. */
  build<Base extends object>(observe?: StepObserver): (ctx: Base) => Promise<void> {
    return compose<Base>(this.#steps, observe);
  }
}
