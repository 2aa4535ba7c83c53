// node --import ./scripts/register-ts.mjs src/server/main.ts (see ts-loader.mjs)
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
