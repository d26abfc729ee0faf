import net from 'node:net';
import dns from 'node:dns';
// Two addresses for one name (IPv6 and IPv4), neither listening: Node 20 tries both (happy eyeballs)
// and reports an AggregateError whose [errors] hold each attempt.
const s = net.connect({host: 'localhost', port: 18999, autoSelectFamily: true, lookup: (h, o, cb) => cb(null, [{address: '::1', family: 6}, {address: '127.0.0.1', family: 4}])});
s.on('error', e => { console.error(e); });
