/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type SendMessageInput = {
  backupInfo?: string | null | undefined;
  body: string;
  extendInfo?: string | null | undefined;
  /** client id; a retry with the same id returns the stored message */
  msgId?: string | null | undefined;
  /** Startalk msgType, default 1 (text) */
  msgType?: number | null | undefined;
  /** recipient: "name" or "name@domain" */
  to: string;
};

export type LoginMutationVariables = Exact<{
  username: string;
  password: string;
}>;


export type LoginMutation = { login: { token: string, user: { id: string, username: string } } };

export type SendMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type SendMutation = { sendMessage: { id: string, msgId: string, conversationId: string, createdAt: number, body: string } };

export type EventCursorQueryVariables = Exact<{ [key: string]: never; }>;


export type EventCursorQuery = { eventCursor: string };

export type EventsSubscriptionVariables = Exact<{
  since?: string | null | undefined;
}>;


export type EventsSubscription = { events:
    | { __typename: 'GroupDestroyedEvent', cursor: string }
    | { __typename: 'GroupMembersEvent', cursor: string }
    | { __typename: 'GroupReadEvent', cursor: string }
    | { __typename: 'GroupUpdatedEvent', cursor: string }
    | { __typename: 'MessageAddedEvent', cursor: string, message: { id: string, msgId: string, conversationId: string, body: string, createdAt: number, from: { username: string } } }
    | { __typename: 'MessageRecalledEvent', cursor: string }
    | { __typename: 'MessageStateEvent', cursor: string }
    | { __typename: 'NotifyEvent', cursor: string }
    | { __typename: 'PresenceEvent', cursor: string }
    | { __typename: 'TypingEvent', cursor: string }
   };
