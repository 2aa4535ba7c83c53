declare module '@xmpp/client' {
  // Only what the tests use; @xmpp/client ships no types.
  export const client: (opts: Record<string, unknown>) => any;
  export const xml: ((name: string, attrs?: Record<string, string>, ...children: unknown[]) => any);
}
