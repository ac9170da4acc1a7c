import { decode, encode } from "@msgpack/msgpack";
import { globMatches, literalGlob } from "./glob.js";
import { hex, ulid, uidText } from "./ulid.js";

/** A failure with the server's (or the client's) error code: `forbidden`, `timeout`, `not_connected`... */
export class WsmsgError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "WsmsgError";
  }
}

/** A request whose replier failed: its reply came on the `.exception` subject with the replier's text. */
export class RemoteError extends WsmsgError {
  constructor(message: string, readonly reply: Message) {
    super("remote", message);
    this.name = "RemoteError";
  }
}

/** A message delivered to this node. `data` is the decoded msgpack value; binary data is a Uint8Array. */
export interface Message {
  readonly uid: Uint8Array;
  /** The uid as text (26-character ULID, else hex). */
  readonly id: string;
  readonly channel: string;
  readonly subject: string;
  readonly reference: Uint8Array | null;
  readonly data: unknown;
}

export type Handler = (m: Message) => unknown | Promise<unknown>;
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface ClientOptions {
  /** The server's WebSocket root, e.g. `ws://localhost:8765/`; several are tried in turn on reconnection. */
  url: string | string[];
  /** The endpoint to attach to; default `<sub>~client-<ulid>` (the token's subject) or `client-<ulid>`, ephemeral. */
  endpoint?: string;
  /** A JWT, or a function giving one (asked again at every reconnection). Sent as `access_token`. */
  token?: string | (() => string | Promise<string>);
  /** Unacknowledged deliveries this node may hold (default 1, as the server's default). */
  window?: number;
  /** Ask for an ephemeral endpoint when this node creates it (default: true for the generated endpoint). */
  ephemeral?: boolean;
  /** Attach paused: no deliveries until `resume()`. */
  paused?: boolean;
  /** Reconnect after an unexpected close (default true). */
  reconnect?: boolean;
  /** Backoff before reconnecting: doubles from `backoffInitialMs` (200) up to `backoffMaxMs` (10 000), with jitter. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Default timeout of `request` (30 000 ms). */
  requestTimeoutMs?: number;
  /** How long a command waits for its echo before silence counts as success (2 000 ms). */
  confirmTimeoutMs?: number;
  /** How long the first connection may take (10 000 ms). */
  connectTimeoutMs?: number;
  /** The WebSocket class to use (default: the global one, in browsers and Node 22+). */
  WebSocket?: typeof WebSocket;
}

interface Pending {
  resolve: (m: Message | undefined) => void;
  reject: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

interface Request {
  uid: Uint8Array;
  expiresAt: number;
  onReply: (m: Message) => void;
  fail: (e: Error) => void;
}

interface Subscription {
  channel: string;
  subject: string;
  handler: Handler;
}

const SYSTEM = "system";
const RECENT = 1024;

/** The subject replies to `subject` go on: `<x>.reply` for `<x>.request`, else `<subject>.reply`. */
export function replySubject(subject: string): string {
  return (subject.endsWith(".request") ? subject.slice(0, -".request".length) : subject) + ".reply";
}

/** The subject a replier's failure goes on: `<x>.exception` for `<x>.request`, else `<subject>.exception`. */
export function exceptionSubject(subject: string): string {
  return (subject.endsWith(".request") ? subject.slice(0, -".request".length) : subject) + ".exception";
}

function isReply(subject: string): boolean {
  return subject.endsWith(".reply") || subject.endsWith(".exception");
}

/** The `sub` of a JWT, read without verifying it (the server verifies). */
function tokenSubject(token: string | undefined): string | undefined {
  if (!token) return undefined;
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const bin = atob(part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4));
    const json = new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
    const sub = JSON.parse(json).sub;
    return typeof sub === "string" && sub.length > 0 && !sub.includes("~") ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One node: a WebSocket attached to one endpoint, with publish, subscribe, request/reply, flow
 * control, the system channel's commands and reconnection. Create with {@link connect}.
 */
export class WsmsgClient {
  readonly endpoint: string;
  private readonly urls: string[];
  private readonly WS: typeof WebSocket;
  private ws: WebSocket | null = null;
  private generation = 0;
  private attempt = 0;
  private urlIndex = 0;
  private closedByUser = false;
  private paused: boolean;
  /** The pause state the current connection was opened with (its URL's paused parameter). */
  private openedPaused = false;
  private stateNow: ConnectionState = "connecting";
  private readonly subscriptions: Subscription[] = [];
  private readonly held: Message[] = [];
  private readonly commands = new Map<string, Pending>();
  private readonly requests = new Map<string, Request>();
  private readonly recent = new Set<string>();
  /** Requests that finished lately: their late replies are acked and dropped. */
  private readonly finished = new Set<string>();
  private readonly errorListeners: ((e: WsmsgError, reference: Uint8Array | null) => void)[] = [];
  private readonly eventListeners: ((m: Message) => void)[] = [];
  private readonly stateListeners: ((s: ConnectionState) => void)[] = [];
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(private readonly options: ClientOptions, endpoint: string) {
    this.urls = (Array.isArray(options.url) ? options.url : [options.url]).map((u) => (u.endsWith("/") ? u : u + "/"));
    if (this.urls.length === 0) throw new WsmsgError("invalid", "no url given");
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    if (!WS) throw new WsmsgError("invalid", "no WebSocket here: use a browser or Node 22+, or pass options.WebSocket");
    this.WS = WS;
    this.endpoint = endpoint;
    this.paused = options.paused ?? false;
  }

  /** Connects; resolves once the first connection is open, rejects if it cannot be opened. */
  static async connect(options: ClientOptions): Promise<WsmsgClient> {
    const token = typeof options.token === "function" ? await options.token() : options.token;
    let endpoint = options.endpoint;
    let ephemeral = options.ephemeral;
    if (!endpoint) {
      const sub = tokenSubject(token);
      endpoint = (sub ? sub + "~" : "") + "client-" + uidText(ulid());
      ephemeral = ephemeral ?? true;
    }
    const c = new WsmsgClient({ ...options, ephemeral }, endpoint);
    await c.open(token, true);
    return c;
  }

  get state(): ConnectionState {
    return this.stateNow;
  }

  /** Errors the server sent that no pending call was waiting for (e.g. a refused publish). */
  onError(listener: (e: WsmsgError, reference: Uint8Array | null) => void): this {
    this.errorListeners.push(listener);
    return this;
  }

  /** Messages on `system` no handler took: events, forwarded commands. */
  onSystemEvent(listener: (m: Message) => void): this {
    this.eventListeners.push(listener);
    return this;
  }

  onStateChange(listener: (s: ConnectionState) => void): this {
    this.stateListeners.push(listener);
    return this;
  }

  // ---- connection ----

  private setState(s: ConnectionState): void {
    if (this.stateNow === s) return;
    this.stateNow = s;
    for (const l of this.stateListeners) l(s);
  }

  private async tokenNow(): Promise<string | undefined> {
    const t = this.options.token;
    return typeof t === "function" ? await t() : t;
  }

  private urlFor(base: string, token: string | undefined): string {
    const q = new URLSearchParams();
    q.set("order", "seed");
    q.set("window", String(this.options.window ?? 1));
    if (this.options.ephemeral) q.set("ephemeral", "1");
    if (this.paused) q.set("paused", "1");
    this.openedPaused = this.paused;
    if (token) q.set("access_token", token);
    return base + encodeURIComponent(this.endpoint) + "?" + q.toString();
  }

  private open(token: string | undefined, first: boolean): Promise<void> {
    const base = this.urls[this.urlIndex % this.urls.length];
    const gen = ++this.generation;
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      let ended = false;
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      const self = this;
      const ws = new this.WS(this.urlFor(base, token));
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      const timer = setTimeout(() => {
        if (opened) return;
        ws.close();
        end(1006, "no answer within " + (this.options.connectTimeoutMs ?? 10_000) + " ms");
      }, this.options.connectTimeoutMs ?? 10_000);
      ws.onopen = () => {
        opened = true;
        clearTimeout(timer);
        this.attempt = 0;
        this.setState("open");
        this.restore();
        resolve();
      };
      ws.onmessage = (ev: MessageEvent) => {
        if (gen === this.generation && ev.data instanceof ArrayBuffer) this.received(new Uint8Array(ev.data), gen);
      };
      function end(code: number, reason: string): void {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        if (gen !== self.generation) return;
        self.ws = null;
        if (!opened && first) {
          self.setState("closed");
          reject(new WsmsgError("connect_failed", `could not connect to ${base} (${reason || "close " + code})`));
          return;
        }
        self.lost(new WsmsgError("connection_lost", `the connection closed (${code}${reason ? ": " + reason : ""})`));
      }
      ws.onclose = (ev: CloseEvent) => end(ev.code, ev.reason);
      // a connection that never opened may end with an error and no close event (Node 20's WebSocket)
      ws.onerror = () => {
        if (!opened) end(1006, "refused or unreachable");
      };
    });
  }

  /** After a reconnection: the subscriptions, the pause state and the requests in flight, again. */
  private restore(): void {
    // pause() or resume() called while this connection was being made
    if (this.paused !== this.openedPaused) this.sendCommand(this.paused ? "pause" : "resume", []);
    for (const s of this.subscriptions) this.sendCommand("subscribe.channel", [this.endpoint, s.channel, s.subject]);
    for (const r of this.requests.values()) {
      const left = Math.max(1, Math.ceil((r.expiresAt - Date.now()) / 1000));
      this.sendCommand("subscribe.message", [this.endpoint, r.uid, left]);
    }
  }

  private lost(cause: WsmsgError): void {
    this.rejectCommands(cause);
    this.held.length = 0; // the server's rules for a node that left apply to them
    if (this.closedByUser || this.options.reconnect === false) {
      this.finish(cause);
      return;
    }
    this.setState("reconnecting");
    const initial = this.options.backoffInitialMs ?? 200;
    const max = this.options.backoffMaxMs ?? 10_000;
    const base = Math.min(max, initial * 2 ** Math.min(this.attempt, 20));
    const delay = Math.max(1, base / 2 + Math.random() * (base / 2));
    this.attempt++;
    this.urlIndex++;
    this.reconnectTimer = setTimeout(async () => {
      if (this.closedByUser) return;
      let token: string | undefined;
      try {
        token = await this.tokenNow();
      } catch {
        token = undefined;
      }
      if (this.closedByUser) return; // closed while the token was being fetched
      this.open(token, false).catch(() => undefined);
    }, delay);
  }

  private finish(cause: WsmsgError): void {
    for (const r of this.requests.values()) r.fail(cause);
    this.requests.clear();
    this.setState("closed");
  }

  /** Closes the connection; pending calls fail with `closed`. */
  close(): Promise<void> {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    const cause = new WsmsgError("closed", "the client was closed");
    if (!ws || ws.readyState !== this.WS.OPEN) {
      // not open (or still connecting, where a close event may never come): done now
      this.generation++;
      this.ws = null;
      ws?.close();
      this.finishClosed(cause);
      return Promise.resolve();
    }
    this.generation++; // what the socket says from now on is not this client's business
    return new Promise((resolve) => {
      const settle = () => {
        this.ws = null;
        this.finishClosed(cause);
        resolve();
      };
      const t = setTimeout(settle, 2000);
      ws.addEventListener("close", () => {
        clearTimeout(t);
        settle();
      });
      ws.close(1000, "bye");
    });
  }

  private finishClosed(cause: WsmsgError): void {
    this.rejectCommands(cause);
    if (this.stateNow !== "closed") this.finish(cause);
  }

  /** The pending command `key`, no longer pending. */
  private takeCommand(key: string): Pending {
    const p = this.commands.get(key)!;
    this.commands.delete(key);
    if (p.timer) clearTimeout(p.timer);
    return p;
  }

  /** Commands waiting for their echo cannot get it now. */
  private rejectCommands(cause: WsmsgError): void {
    for (const p of this.commands.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(cause);
    }
    this.commands.clear();
  }

  // ---- sending ----

  private write(uid: Uint8Array, channel: string, subject: string, reference: Uint8Array | null, data: unknown): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== this.WS.OPEN) throw new WsmsgError("not_connected", "not connected");
    ws.send(encode([uid, channel, subject, reference, data === undefined ? null : data]));
  }

  /**
   * Publishes a message; resolves with its uid once written (the server does not confirm
   * publishes: a refusal comes as an error to {@link onError}, or use {@link sync}).
   */
  async publish(channel: string, subject: string, data?: unknown, reference?: Uint8Array | null): Promise<Uint8Array> {
    const uid = ulid();
    this.write(uid, channel, subject, reference ?? null, data);
    return uid;
  }

  private sendCommand(subject: string, args: unknown[], uid: Uint8Array = ulid(), reference: Uint8Array | null = null): void {
    try {
      this.write(uid, SYSTEM, subject, reference, args);
    } catch {
      /* not connected: restore() sends it again */
    }
  }

  /**
   * Sends a command on `system` and resolves once the server applied it: the command goes with
   * its own uid as reference after a `subscribe.message` for that uid, so the server's
   * forwarding of it comes back here. An error referencing it rejects with the server's code;
   * silence past `confirmTimeoutMs` counts as success (errors are sent at once).
   */
  command(subject: string, ...args: unknown[]): Promise<void> {
    const uid = ulid();
    const key = hex(uid);
    return new Promise<void>((resolve, reject) => {
      try {
        this.write(ulid(), SYSTEM, "subscribe.message", null, [this.endpoint, uid, 60]);
        this.write(uid, SYSTEM, subject, uid, args);
      } catch (e) {
        reject(e);
        return;
      }
      // paused, or the window held by deliveries being handled: the echo cannot come, errors can
      const wait = this.paused ? 250 : (this.options.confirmTimeoutMs ?? 2000);
      const p: Pending = { resolve: () => resolve(), reject };
      p.timer = setTimeout(() => {
        this.commands.delete(key);
        resolve();
      }, wait);
      this.commands.set(key, p);
    });
  }

  /** Resolves once the server has applied everything this node sent before it. */
  sync(): Promise<void> {
    return this.command("subscribe.message", this.endpoint, ulid(), 1);
  }

  pause(): Promise<void> {
    this.paused = true;
    this.sendCommand("pause", []);
    return Promise.resolve();
  }

  resume(): Promise<void> {
    this.paused = false;
    this.sendCommand("resume", []);
    return Promise.resolve();
  }

  // ---- subscriptions ----

  /**
   * Subscribes this node's endpoint to a channel pattern and subject pattern (globs); the
   * handler gets every matching delivery, which is acknowledged once its promise settles.
   * Resolves once the server applied the subscription.
   */
  async subscribe(channel: string, subject: string, handler: Handler): Promise<void> {
    const s: Subscription = { channel, subject, handler };
    this.subscriptions.push(s);
    // deliveries that arrived before any handler matched them, in arrival order
    for (let i = 0; i < this.held.length; ) {
      const m = this.held[i];
      if (this.matches(s, m)) {
        this.held.splice(i, 1);
        this.handle(m, [s], this.generation);
      } else {
        i++;
      }
    }
    if (this.ws && this.ws.readyState === this.WS.OPEN) await this.command("subscribe.channel", this.endpoint, channel, subject);
  }

  /**
   * Removes this endpoint's subscriptions whose channel pattern is exactly `channel` (sent as a
   * literal glob, so `orders.*` does not also remove `orders.x`), here and on the server.
   */
  async unsubscribe(channel: string): Promise<void> {
    await this.command("unsubscribe.channel", this.endpoint, literalGlob(channel)); // rejects when not connected
    for (let i = this.subscriptions.length - 1; i >= 0; i--) {
      if (this.subscriptions[i].channel === channel) this.subscriptions.splice(i, 1);
    }
  }

  private matches(s: Subscription, m: Message): boolean {
    return globMatches(s.channel, m.channel) && globMatches(s.subject, m.subject);
  }

  // ---- request / reply ----

  /**
   * Publishes a request and resolves with its first reply (a message referencing it). A reply
   * on the exception subject rejects with {@link RemoteError}; none within the timeout rejects
   * with code `timeout`; an error from the server with the server's code.
   */
  request(channel: string, subject: string, data?: unknown, options: { timeoutMs?: number } = {}): Promise<Message> {
    const timeout = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
    return new Promise<Message>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let key: string | undefined;
      const uid = this.startRequest(channel, subject, data, timeout, {
        onReply: (m) => {
          clearTimeout(timer);
          if (key) this.done(key);
          if (m.subject.endsWith(".exception")) reject(new RemoteError(String(m.data), m));
          else resolve(m);
        },
        fail: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (!uid) return;
      key = hex(uid);
      timer = setTimeout(() => {
        this.done(key!);
        reject(new WsmsgError("timeout", `no reply to ${subject} on ${channel} within ${timeout} ms`));
      }, timeout);
    });
  }

  /**
   * Publishes a request and collects every reply until `expiryMs` (default 1 000) or `max`
   * replies; resolves with them (exception replies included: see their subject). `onReply`
   * sees each as it comes.
   */
  requestAll(channel: string, subject: string, data?: unknown,
      options: { expiryMs?: number; max?: number; onReply?: (m: Message) => void } = {}): Promise<Message[]> {
    const expiry = options.expiryMs ?? 1000;
    const replies: Message[] = [];
    return new Promise<Message[]>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let key: string | undefined;
      const over = () => {
        clearTimeout(timer);
        if (key) this.done(key);
        resolve(replies);
      };
      const uid = this.startRequest(channel, subject, data, expiry, {
        onReply: (m) => {
          replies.push(m);
          options.onReply?.(m);
          if (options.max !== undefined && replies.length >= options.max) over();
        },
        fail: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (!uid) return;
      key = hex(uid);
      timer = setTimeout(over, expiry);
    });
  }

  /** A request is over: forget it, remember it a while for its late replies. */
  private done(key: string): void {
    if (!this.requests.delete(key)) return;
    this.finished.add(key);
    if (this.finished.size > RECENT) this.finished.delete(this.finished.values().next().value as string);
  }

  private startRequest(channel: string, subject: string, data: unknown, ttlMs: number,
      r: { onReply: (m: Message) => void; fail: (e: Error) => void }): Uint8Array | undefined {
    const uid = ulid();
    try {
      // applied in order: the reply subscription exists before the request is routed
      this.write(ulid(), SYSTEM, "subscribe.message", null, [this.endpoint, uid, Math.max(1, Math.ceil(ttlMs / 1000))]);
      this.write(uid, channel, subject, null, data);
    } catch (e) {
      r.fail(e as Error);
      return undefined;
    }
    const key = hex(uid);
    this.requests.set(key, {
      uid, expiresAt: Date.now() + ttlMs,
      onReply: r.onReply,
      fail: (e) => {
        this.done(key);
        r.fail(e);
      },
    });
    return uid;
  }

  /**
   * Serves requests: the handler's result is published on the request's channel with subject
   * {@link replySubject} and reference = the request's uid; a thrown error or rejected promise
   * goes on {@link exceptionSubject} with its message. Replies are never answered.
   */
  reply(channel: string, subject: string, handler: (m: Message) => unknown | Promise<unknown>): Promise<void> {
    return this.subscribe(channel, subject, async (m) => {
      if (isReply(m.subject)) return;
      let result: unknown;
      try {
        result = await handler(m);
      } catch (e) {
        await this.publish(m.channel, exceptionSubject(m.subject), e instanceof Error ? e.message : String(e), m.uid);
        return;
      }
      await this.publish(m.channel, replySubject(m.subject), result, m.uid);
    });
  }

  // ---- receiving ----

  private received(bytes: Uint8Array, gen: number): void {
    let m: Message;
    try {
      const a = decode(bytes) as unknown[];
      if (!Array.isArray(a) || a.length !== 5) return;
      // seed order [uid, channel, subject, reference, data]; legacy [uid, reference, channel, subject, data]
      const seed = typeof a[1] === "string";
      const uid = a[0] as Uint8Array;
      const reference = (seed ? a[3] : a[1]) as Uint8Array | null;
      m = {
        uid,
        id: uidText(uid),
        channel: (seed ? a[1] : a[2]) as string,
        subject: (seed ? a[2] : a[3]) as string,
        reference: reference ?? null,
        data: a[4],
      };
    } catch {
      return; // not a message this client can read: nothing to ack it by
    }
    if (m.channel === SYSTEM && m.subject === "error") {
      this.serverError(m);
      return;
    }
    if (m.channel === SYSTEM && m.subject === "stopping") {
      for (const l of this.eventListeners) l(m);
      return; // a notice: outside the window, no ack
    }
    const key = m.reference ? hex(m.reference) : undefined;
    if (key && this.commands.has(key) && m.channel === SYSTEM) {
      this.takeCommand(key).resolve(m);
      this.ack(m);
      return;
    }
    if (key && this.requests.has(key)) {
      this.requests.get(key)!.onReply(m);
      this.ack(m);
      return;
    }
    if (key && this.finished.has(key)) {
      this.ack(m); // a late reply to a request that is over
      return;
    }
    const id = hex(m.uid);
    if (this.recent.has(id)) {
      this.ack(m); // handled already (a redelivery)
      return;
    }
    const handlers = this.subscriptions.filter((s) => this.matches(s, m));
    if (handlers.length === 0) {
      if (m.channel === SYSTEM) {
        for (const l of this.eventListeners) l(m);
        this.ack(m); // events and forwarded commands
      } else {
        this.held.push(m); // for the first handler that matches it
      }
      return;
    }
    this.handle(m, handlers, gen);
  }

  private handle(m: Message, handlers: Subscription[], gen: number): void {
    const id = hex(m.uid);
    this.recent.add(id);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.values().next().value as string);
    Promise.allSettled(handlers.map((s) => Promise.resolve().then(() => s.handler(m)))).then(() => {
      if (gen === this.generation) this.ack(m); // a new connection does not know this delivery
    });
  }

  private ack(m: Message): void {
    try {
      this.write(ulid(), SYSTEM, "ack", m.uid, null);
    } catch {
      /* the connection is gone: so is the delivery */
    }
  }

  private serverError(m: Message): void {
    const [code, text] = Array.isArray(m.data) ? (m.data as unknown[]) : ["error", String(m.data)];
    const e = new WsmsgError(String(code), String(text));
    const key = m.reference ? hex(m.reference) : undefined;
    if (key && this.commands.has(key)) {
      this.takeCommand(key).reject(e);
      return;
    }
    if (key && this.requests.has(key)) {
      this.requests.get(key)!.fail(e);
      return;
    }
    for (const l of this.errorListeners) l(e, m.reference);
  }
}

/** Connects a client (see {@link ClientOptions}). */
export function connect(options: ClientOptions): Promise<WsmsgClient> {
  return WsmsgClient.connect(options);
}
