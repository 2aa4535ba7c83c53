// PROTOCOL.md §2.2: the proto2 schema (message.proto, loaded once at start with protobufjs)
// and the enum numbers the codec speaks. Decoded messages are plain objects of these shapes.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(fileURLToPath(new URL('./message.proto', import.meta.url)));
const type = (name: string) => root.lookupType(name);

export const PB = {
  ProtoHeader: type('ProtoHeader'),
  ProtoMessage: type('ProtoMessage'),
  WelcomeMessage: type('WelcomeMessage'),
  AuthMessage: type('AuthMessage'),
  StreamEnd: type('StreamEnd'),
  ProceedTLS: type('ProceedTLS'),
  ResponseSucceeded: type('ResponseSucceeded'),
  ResponseFailure: type('ResponseFailure'),
  XmppMessage: type('XmppMessage'),
  IQMessage: type('IQMessage'),
  PresenceMessage: type('PresenceMessage'),
} as const;

/** int64 fields decode to Long objects (protobufjs pulls in `long`), int32 to numbers. */
export type Int64 = number | { toNumber(): number };
export const toNum = (v: Int64 | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'number' ? v : v.toNumber();

export interface StringHeader { key?: string; value?: string; definedKey?: number }
export interface MessageBody { headers?: StringHeader[]; value?: string; bodys?: MessageBody[] }
export interface ProtoMessage {
  signalType: number; from?: string; to?: string; message?: Uint8Array;
  realfrom?: string; realto?: string; originfrom?: string; originto?: string; origintype?: string; sendjid?: string;
}
export interface XmppMessage {
  messageType: number; clientType: number; clientVersion: Int64; messageId?: string;
  body?: MessageBody; receivedTime?: Int64; headers?: StringHeader[];
}
/** IQMessage and PresenceMessage share fields 1–10. */
export interface KeyedMessage {
  key?: string; value?: string; messageId?: string; body?: MessageBody; bodys?: MessageBody[];
  headers?: StringHeader[]; receivedTime?: Int64; definedKey?: number; categoryType?: number;
}
export interface WelcomeMessage { domain?: string; version?: string; user?: string; sockmod?: string }
export interface AuthMessage { mechanism?: string; method?: string; msgId?: string; authKey?: string }

export const SIGNAL = {
  presence: 1, iq: 2, succeeded: 4, failure: 5, chat: 6, groupchat: 7, normal: 8, error: 9, typing: 10,
  note: 11, readmark: 13, revoke: 14, subscription: 15, mstat: 16, headline: 17, heartbeat: 30, auth: 45,
  streamEnd: 51, welcome: 100, startTls: 106, proceedTls: 108, webrtc: 110, carbon: 128, consult: 132,
  encrypt: 136, collection: 140,
} as const;

/** Every SignalType the schema knows (§2.2); anything else in a frame is corrupt. */
export const KNOWN_SIGNALS = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 30, 45, 50, 51, 100, 101, 102, 106, 108, 110,
  128, 132, 136, 140, 141, 142,
]);

/** ClientType: what the server puts in XmppMessage.clientType when the stanza names none (PC, as Startalk). */
export const CLIENT_TYPE_PC = 3;

/** PresenceKeyType */
export const PRESENCE_KEY = { priority: 1, result: 6, notify: 7 } as const;

/** IQMessageKeyType <-> the server's key strings (§2.2) */
export const IQ_KEYS: Record<number, string> = {
  1: 'BIND', 2: 'CREATE_MUC', 3: 'MUC_CREATE', 4: 'MUC_INVITE_V2', 5: 'GET_MUC_USER', 6: 'SET_MUC_USER',
  7: 'DEL_MUC_USER', 8: 'ADD_USER_SUBSCRIBE', 9: 'DEL_USER_SUBSCRIBE', 10: 'GET_USER_SUBSCRIBE',
  11: 'GET_USER_OPT', 12: 'SET_USER_OPT', 13: 'SET_USER_SUBSCRIBE_V2', 14: 'GET_USER_SUBSCRIBE_V2',
  16: 'GET_USER_FRIEND', 18: 'DEL_USER_FRIEND', 20: 'GET_USER_KEY', 22: 'GET_USER_MASK', 24: 'SET_USER_MASK',
  26: 'CANCEL_USER_MASK', 28: 'SET_ADMIN', 30: 'SET_MEMBER', 32: 'CANCEL_MEMBER', 36: 'USER_MUCS',
  40: 'DESTROY_MUC', 50: 'PING', 52: 'ADD_PUSH', 60: 'CANCEL_PUSH', 80: 'result', 90: 'error',
  100: 'GET_FORBIDDEN_WORDS', 101: 'SET_FORBIDDEN_WORDS',
};
export const IQ_RESULT = 80;
export const IQ_ERROR = 90;
