/** Shared shape of every command: run on both sides, then the after-each checks. */
import type { AsyncCommand } from 'fast-check';
import type { World } from '../world.ts';

export abstract class Command implements AsyncCommand<World, World> {
  check(_m: Readonly<World>): boolean {
    return true;
  }

  async run(_m: World, w: World): Promise<void> {
    w.probe.observer?.beginCall();
    await this.exec(w);
    w.afterEach(this.toString());
  }

  protected abstract exec(w: World): Promise<void>;
  abstract toString(): string;
}

export const show = (n: bigint): string => (n > 1n << 53n ? `0x${n.toString(16)}n` : `${n}`);
