// Side-effect imports of every schema file, then the schema.
import { builder } from '../builder.js';
import './user.js';
import './message.js';
import './conversation.js';
import './group.js';
import './event.js';
import './presence.js';
import './notify.js';
import './push.js';
import './file.js';
import './search.js';
import './admin.js';
import './integration.js';

export const schema = builder.toSchema({ sortSchema: true });
