/** Shared shape of every command: run on both sides, then the after-each checks. */
import type { AsyncCommand } from 'fast-check';
import { ImplementationAborted } from '../../spec/implementation.ts';
import { fatalLine, type World } from '../world.ts';

export abstract class Command implements AsyncCommand<World, World> {
  /** Never after a misuse stopped the implementation. */
  check(m: Readonly<World>): boolean {
    return !m.dead && this.applicable(m);
  }

  /** Whether the command makes sense in this state. */
  applicable(_m: Readonly<World>): boolean {
    return true;
  }

  async run(_m: World, w: World): Promise<void> {
    w.probe.observer?.beginCall();
    try {
      await this.exec(w);
    } catch (e) {
      if (e instanceof ImplementationAborted) w.fail(`${this.toString()}: the implementation stopped unexpectedly: ${fatalLine(e.stderr)}`);
      throw e;
    }
    if (!w.dead) w.afterEach(this.toString());
  }

  protected abstract exec(w: World): Promise<void>;
  abstract toString(): string;
}

export const show = (n: bigint): string => (n > 1n << 53n ? `0x${n.toString(16)}n` : `${n}`);
