// The operations this client sends; their types are generated into ./generated.ts.
export const LOGIN = /* GraphQL */ `
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) { token user { id username } }
  }
`;

export const SEND = /* GraphQL */ `
  mutation Send($input: SendMessageInput!) {
    sendMessage(input: $input) { id msgId conversationId createdAt body }
  }
`;

export const EVENT_CURSOR = /* GraphQL */ `
  query EventCursor { eventCursor }
`;

export const EVENTS = /* GraphQL */ `
  subscription Events($since: String) {
    events(since: $since) {
      __typename
      cursor
      ... on MessageAddedEvent { message { id msgId conversationId body createdAt from { username } } }
    }
  }
`;
