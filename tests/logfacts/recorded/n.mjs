try { await fetch('http://127.0.0.1:18999/x') } catch (e) { console.error(e) }
try { await fetch('http://payments.billing.svc.cluster.local.invalid:8080/x') } catch (e) { console.error(e) }
try { await fetch('http://127.0.0.1:18081/slow', {signal: AbortSignal.timeout(500)}) } catch (e) { console.error(e) }
import net from 'node:net';
const s = net.connect(6379, '127.0.0.1'); s.on('error', e => { console.error(e); JSON.parse('{"a":'); });
