// Files: presigned uploads, verification, signed downloads, and messages that carry a file
// in the shape Startalk clients parse (../shared/startalk/PROTOCOL.md §4.1, §6.6).
import type { FileKind, FileRecord, PresignedUpload } from '../../core/files/types.js';
import { badInput } from '../../core/errors.js';
import { builder, viewer } from '../builder.js';
import { MessageRef } from './message.js';

const FileKindEnum = builder.enumType('FileKind', {
  description: 'picks the size limit, the type check (IMAGE/AVATAR are sniffed) and the Startalk msgType',
  values: {
    FILE: { value: 'file' }, IMAGE: { value: 'image' }, AVATAR: { value: 'avatar' }, VOICE: { value: 'voice' }, VIDEO: { value: 'video' },
  } as const,
});

export const FileRef = builder.objectRef<FileRecord>('File').implement({
  description: 'An uploaded file. Same content is stored once (keyed by its SHA-256).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'sanitised file name' }),
    size: t.float({ description: 'bytes', resolve: (f) => f.size }),
    contentType: t.exposeString('contentType', { description: 'for images: the sniffed type' }),
    kind: t.field({ type: FileKindEnum, resolve: (f) => f.kind }),
    sha256: t.exposeString('sha256', { nullable: true, description: 'hex; null until the upload is completed' }),
    md5: t.exposeString('md5', { nullable: true, description: 'hex (Startalk FILEMD5)' }),
    ready: t.boolean({ resolve: (f) => f.status === 'ready' }),
    createdAt: t.float({ resolve: (f) => f.createdAt.getTime() }),
    url: t.string({
      nullable: true,
      description: 'download URL: signed and expiring (FILES_URL_TTL_SECONDS) unless FILES_PUBLIC_URLS; relative URLs are on this server',
      resolve: (f, _a, ctx) => {
        viewer(ctx);
        return f.status === 'ready' ? ctx.core.files.downloadUrl(f) : null;
      },
    }),
    path: t.string({
      nullable: true,
      description: "stable path put in messages (/file/v2/download/…): public only with FILES_PUBLIC_URLS, else for signed-in users",
      resolve: (f, _a, ctx) => (f.status === 'ready' ? ctx.core.files.downloadPath(f) : null),
    }),
  }),
});

const UploadFieldRef = builder.objectRef<{ name: string; value: string }>('UploadField').implement({
  fields: (t) => ({ name: t.exposeString('name'), value: t.exposeString('value') }),
});

const pairs = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

const UploadTicketRef = builder.objectRef<{ file: FileRecord; upload: PresignedUpload }>('UploadTicket').implement({
  description: 'Where to send the bytes. POST: a multipart form with `fields` (in order) and then the file as field "file". '
    + 'PUT: the raw bytes with `headers`. Then call completeUpload.',
  fields: (t) => ({
    uploadId: t.id({ resolve: (u) => u.file.id }),
    file: t.field({ type: FileRef, resolve: (u) => u.file }),
    url: t.string({ description: 'relative URLs are on this server', resolve: (u) => u.upload.url }),
    method: t.string({ resolve: (u) => u.upload.method }),
    fields: t.field({ type: [UploadFieldRef], resolve: (u) => pairs(u.upload.fields) }),
    headers: t.field({ type: [UploadFieldRef], resolve: (u) => pairs(u.upload.headers) }),
    expiresAt: t.float({ resolve: (u) => u.upload.expiresAt.getTime() }),
  }),
});

builder.queryField('file', (t) =>
  t.field({
    type: FileRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.core.files.byId(viewer(ctx), String(id)),
  }),
);

builder.mutationField('requestUpload', (t) =>
  t.field({
    type: UploadTicketRef,
    description: 'Declares an upload; the returned URL accepts exactly `size` bytes of `contentType` until it expires.',
    args: {
      name: t.arg.string({ required: true }),
      size: t.arg.float({ required: true }),
      contentType: t.arg.string({ required: true }),
      kind: t.arg({ type: FileKindEnum, defaultValue: 'file' }),
    },
    resolve: (_r, a, ctx) =>
      ctx.core.files.requestUpload(viewer(ctx), { name: a.name, size: a.size, contentType: a.contentType, kind: (a.kind ?? 'file') as FileKind }),
  }),
);

builder.mutationField('completeUpload', (t) =>
  t.field({
    type: FileRef,
    description: 'The uploader confirms an upload: its size, SHA-256 (hex) and, for images, its type are checked.',
    args: { uploadId: t.arg.id({ required: true }), sha256: t.arg.string({ required: true }) },
    resolve: (_r, { uploadId, sha256 }, ctx) => {
      if (!/^[0-9a-fA-F]{64}$/.test(sha256)) throw badInput('sha256 must be 64 hex digits');
      return ctx.core.files.completeUpload(viewer(ctx), String(uploadId), sha256);
    },
  }),
);

const SendFileInput = builder.inputType('SendFileInput', {
  fields: (t) => ({
    to: t.string({ description: 'recipient of a 1:1 message' }),
    groupId: t.id({ description: 'or a group' }),
    fileId: t.id({ required: true }),
    msgId: t.string(),
    seconds: t.int({ description: 'voice/video duration' }),
    width: t.int(),
    height: t.int(),
  }),
});

builder.mutationField('sendFile', (t) =>
  t.field({
    type: MessageRef,
    description: 'Sends a file message (Startalk msgType 5 file, 3 image, 2 voice, 32 video) with the body Startalk clients parse.',
    args: { input: t.arg({ type: SendFileInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const me = viewer(ctx);
      if (!input.to === !input.groupId) throw badInput('give exactly one of to and groupId');
      const file = await ctx.core.files.byId(me, String(input.fileId));
      const content = ctx.core.files.messageFor(me, file, input);
      return input.groupId
        ? ctx.core.messages.sendGroup(me, { ...content, msgId: input.msgId, groupId: String(input.groupId) })
        : ctx.core.messages.sendDirect(me, { ...content, msgId: input.msgId, to: input.to! });
    },
  }),
);

builder.objectField(MessageRef, 'file', (t) =>
  t.field({
    type: FileRef,
    nullable: true,
    description: 'the file a file/image/voice/video message points at, when it is stored here and was sent with the message',
    resolve: (m, _a, ctx) => ctx.core.files.ofMessage(m),
  }),
);
