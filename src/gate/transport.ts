/**
 * The process side of a remote implementation: start `--impl "<command>"` through the
 * shell in its own process group, write one JSON request line at a time to its stdin, read
 * answer lines from its stdout, keep the tail of its stderr, and kill the whole group when
 * it misbehaves.
 *
 * Never hangs: every request has a timeout (and never waits past the run's deadline);
 * on a timeout the whole process group is killed. Every way the other side can go wrong
 * becomes a `GateError` (remote-errors.ts) naming the last request sent. After the first
 * error the transport is dead: every later call fails with the same error. Standard error
 * is captured (its tail goes into the error) and passed to `onStderr`.
 *
 * What the requests mean and how answers are decoded is remote.ts's business.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { ImplementationAborted } from '../../spec/implementation.ts';
import { describeRequest, encodeRequest, parseAnswer, short, type Answer, type Request } from './protocol.ts';
import { describeExit, type Exit, GateError, type GateErrorKind, isAbort } from './remote-errors.ts';

export interface RemoteOptions {
  /** Shell command that starts the implementation. */
  command: string;
  /** Per-request timeout (ms); default 10 s. */
  timeoutMs?: number;
  /** Timeout for start-up and the hello answer (ms); default max(timeoutMs, 20 s). */
  startTimeoutMs?: number;
  /** Absolute time (Date.now()) no request may wait past: the time budget. */
  deadline?: number;
  /** Pass-through of the implementation's stderr, as it arrives. */
  onStderr?: (text: string) => void;
  /** Keep every request and answer of this process (for counterexamples). */
  transcript?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface TranscriptEntry {
  id: number;
  request: Request;
  answer?: Answer;
}

/** What a request that should end the process (a misuse under debug hooks) led to. */
export interface AbortOutcome {
  /** The answer, when the implementation went on answering instead. */
  answered: Answer | null;
  exit: Exit | null;
  /** All of stderr, as a byte string (latin1: one char per byte). */
  stderr: string;
}

const STDERR_KEEP = 256 * 1024;
const MAX_LINE = 64 * 1024 * 1024;
const live = new Set<GateTransport>();
let exitHookInstalled = false;

/** A running implementation process and the request/answer exchange with it. */
export class GateTransport {
  /** Requests sent to this process, hello and bye included. */
  requests = 0;
  readonly transcript: TranscriptEntry[] = [];

  private child: ChildProcess | null = null;
  private nextId = 0;
  private lines: string[] = [];
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');
  private stderrBuf: Buffer[] = [];
  private stderrLen = 0;
  private waiter: ((line: string | null) => void) | null = null;
  private exitInfo: Exit | null = null;
  private stdoutEnded = false;
  private dead: GateError | ImplementationAborted | null = null;
  private closed = false;
  private byeSent = false;
  /** The last few requests (and answers), always kept. */
  readonly recent: TranscriptEntry[] = [];
  private last: { call: string; line: string } | null = null;
  protected readonly timeoutMs: number;

  protected constructor(private readonly opts: RemoteOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  protected spawn(): void {
    const child = spawn('/bin/sh', ['-c', this.opts.command], {
      cwd: this.opts.cwd,
      env: this.opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so a hang can be killed whole
    });
    this.child = child;
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => { for (const r of live) r.kill(); });
    }
    child.stdin!.on('error', () => { /* EPIPE after a crash: reported through exit */ });
    child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stdout!.on('end', () => {
      this.stdoutEnded = true;
      this.flushWaiter();
    });
    child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk));
    child.on('error', (e) => {
      this.exitInfo ??= { code: null, signal: null };
      this.die('start', `cannot start '${this.opts.command}': ${e.message}`);
      this.flushWaiter();
    });
    child.on('close', () => {
      this.closed = true;
      this.stdoutEnded = true;
      this.flushWaiter();
    });
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      live.delete(this);
      // Give the last lines of stdout a moment to arrive before declaring a crash.
      setTimeout(() => {
        this.stdoutEnded = true;
        this.flushWaiter();
      }, 100).unref();
    });
  }

  private onStdout(chunk: Buffer): void {
    this.partial += this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      if (line.trim() === '') continue;
      this.lines.push(line);
    }
    if (this.partial.length > MAX_LINE) {
      this.lines.push(this.partial.slice(0, 200));
      this.partial = '';
    }
    this.flushWaiter();
  }

  private onStderr(chunk: Buffer): void {
    this.stderrBuf.push(chunk);
    this.stderrLen += chunk.length;
    while (this.stderrLen > STDERR_KEEP && this.stderrBuf.length > 1) this.stderrLen -= this.stderrBuf.shift()!.length;
    this.opts.onStderr?.(chunk.toString('utf8'));
  }

  private flushWaiter(): void {
    if (this.waiter === null) return;
    if (this.lines.length > 0) {
      const w = this.waiter;
      this.waiter = null;
      w(this.lines.shift()!);
    } else if (this.stdoutEnded || this.dead !== null) {
      const w = this.waiter;
      this.waiter = null;
      w(null);
    }
  }

  /** The last `lines` lines of stderr. */
  stderrTail(lines = 12): string {
    const text = Buffer.concat(this.stderrBuf).toString('utf8').replace(/\s+$/, '');
    if (text === '') return '';
    return text.split('\n').slice(-lines).join('\n');
  }

  /** Everything kept of stderr (the last 256 KiB), as text. */
  stderrText(): string {
    return Buffer.concat(this.stderrBuf).toString('utf8');
  }

  /** Everything kept of stderr (the last 256 KiB), as a byte string. */
  stderrBytes(): string {
    return Buffer.concat(this.stderrBuf).toString('latin1');
  }

  /** The last request sent, as a call and its JSON line. */
  get lastRequest(): { call: string; line: string } | null {
    return this.last;
  }

  /** The shell's pid, which is also the process group id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get exit(): Exit | null {
    return this.exitInfo;
  }

  get error(): GateError | ImplementationAborted | null {
    return this.dead;
  }

  /** Mark dead (first error wins), kill the process group, return the error. */
  protected die(kind: GateErrorKind, message: string): GateError | ImplementationAborted {
    if (this.dead === null) {
      const where = this.last === null ? '' : `\n  last request: ${this.last.call}   ${this.last.line}`;
      // stderr may still be arriving: the tail is read when the error is reported.
      this.dead = new GateError(kind, `${message}${where}`, this.last, () => this.stderrTail());
      this.kill();
    }
    return this.dead;
  }

  /** SIGKILL the process group (and the shell). Safe to call twice. */
  kill(): void {
    const c = this.child;
    if (c === null || c.pid === undefined) return;
    if (this.exitInfo === null) {
      try { process.kill(-c.pid, 'SIGKILL'); } catch { /* already gone */ }
      try { c.kill('SIGKILL'); } catch { /* already gone */ }
    } else {
      // The shell is gone, but something it started may still hold the group.
      try { process.kill(-c.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    live.delete(this);
  }

  private remaining(timeoutMs: number): { ms: number; budget: boolean } {
    const d = this.opts.deadline;
    if (d === undefined) return { ms: timeoutMs, budget: false };
    const left = d - Date.now();
    return left < timeoutMs ? { ms: Math.max(0, left), budget: true } : { ms: timeoutMs, budget: false };
  }

  private nextLine(timeoutMs: number): Promise<string | null | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve('timeout');
      }, timeoutMs);
      this.waiter = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.flushWaiter();
    });
  }

  private send(req: Request): number {
    if (this.dead !== null) throw this.dead;
    const id = this.nextId++;
    const line = encodeRequest(id, req);
    if (req.op === 'bye') this.byeSent = true;
    this.last = { call: describeRequest(req), line };
    this.requests++;
    const entry: TranscriptEntry = { id, request: req };
    if (this.opts.transcript) this.transcript.push(entry);
    this.recent.push(entry);
    if (this.recent.length > 8) this.recent.shift();
    if (this.exitInfo !== null) throw this.die('crash', `the implementation had already ended (${describeExit(this.exitInfo)})`);
    this.child!.stdin!.write(`${line}\n`);
    return id;
  }

  /** Send one request and return its answer, checked for id and error. */
  async request(req: Request, timeoutMs = this.timeoutMs): Promise<Answer> {
    const id = this.send(req);
    const entry = this.recent[this.recent.length - 1];
    const { ms, budget } = this.remaining(timeoutMs);
    const line = await this.nextLine(ms);
    if (line === 'timeout') {
      if (budget) throw this.die('budget', 'the time budget ran out while waiting for an answer');
      throw this.die('hang', `no answer within ${(timeoutMs / 1000).toFixed(1)} s: killed the implementation's process group`);
    }
    if (line === null) {
      if (this.dead !== null) throw this.dead;
      await this.settle(2000);
      if (isAbort(this.exitInfo)) {
        // A fatal error (debug hooks): the report is on stderr. Expected after a misuse.
        this.dead = new ImplementationAborted(this.stderrBytes(), 134);
        this.kill();
        throw this.dead;
      }
      const how = this.exitInfo !== null ? describeExit(this.exitInfo) : 'closed its standard output';
      throw this.die('crash', `the implementation crashed (${how}) before answering`);
    }
    let a: Answer;
    try {
      a = parseAnswer(line);
    } catch (e) {
      throw this.die('malformed', `malformed answer: ${(e as Error).message}`);
    }
    if (a.id !== id) {
      if (a.id === null && typeof a.error === 'string') throw this.die('malformed', `the implementation could not read the request line: ${a.error}`);
      throw this.die('wrong-id', `answer carries id ${short(a.id)}, expected ${id}: ${line.length > 120 ? `${line.slice(0, 117)}...` : line}`);
    }
    entry.answer = a;
    if ('error' in a) {
      const msg = a.error === 'unsupported' ? `answered "unsupported" to a request of a feature it declares` : `answered with an error: ${short(a.error)}`;
      throw this.die('error', msg);
    }
    return a;
  }

  /**
   * Send a request that must end the process (a misuse under debug hooks): wait for the
   * exit and return how it ended and its stderr. An answer instead of an exit comes back
   * as `answered` (and the process is killed); a hang or a malformed line is thrown.
   */
  async expectAbort(req: Request, timeoutMs = this.timeoutMs): Promise<AbortOutcome> {
    try {
      const a = await this.request(req, timeoutMs);
      this.kill();
      return { answered: a, exit: null, stderr: this.stderrBytes() };
    } catch (e) {
      if (e instanceof ImplementationAborted) return { answered: null, exit: this.exitInfo, stderr: e.stderr };
      if (e instanceof GateError && e.kind === 'crash') return { answered: null, exit: this.exitInfo, stderr: this.stderrBytes() };
      if (e instanceof GateError && e.kind === 'error') return { answered: { id: null, error: e.message }, exit: null, stderr: this.stderrBytes() };
      throw e;
    }
  }

  /** Wait (at most `ms`) until the process has exited and its streams are closed. */
  private async settle(ms: number): Promise<void> {
    const t0 = Date.now();
    while (!(this.exitInfo !== null && this.closed) && Date.now() - t0 < ms) {
      await new Promise((r) => setTimeout(r, 5));
      if (this.exitInfo !== null && Date.now() - t0 > 300) break; // a grandchild holds the pipes
    }
  }

  /** Say bye and wait for the process to go; kill its group if it does not. */
  async close(): Promise<void> {
    if (this.child === null) return;
    if (this.dead === null && this.exitInfo === null && !this.byeSent) {
      try {
        await this.request({ op: 'bye' }, 2000);
      } catch {
        /* reported as nothing: closing is best effort */
      }
      const t0 = Date.now();
      while (this.exitInfo === null && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 5));
    }
    this.dead ??= new GateError('closed', 'the implementation was closed', this.last);
    this.kill();
  }
}
