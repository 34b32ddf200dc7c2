// node:http adapter: the shared conformance cases, all of them (HTTP/1.0, 400, 431 included).
import { serveHttpNode } from '../../../runtime/env/real/http-node.ts';
import { adapterConformance } from './http-adapter-conformance.ts';

adapterConformance('node:http', serveHttpNode, { answersBadRequests: true, answers431: true });
