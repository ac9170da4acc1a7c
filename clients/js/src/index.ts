export { connect, WsmsgClient, WsmsgError, RemoteError, replySubject, exceptionSubject } from "./client.js";
export type { ClientOptions, ConnectionState, Handler, Message } from "./client.js";
export { globMatches, literalGlob } from "./glob.js";
export { ulid, uidText } from "./ulid.js";
