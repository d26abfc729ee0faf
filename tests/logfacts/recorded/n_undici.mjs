try { await fetch('http://localhost:18999/x') } catch (e) { console.error(e) }
try { await fetch('http://127.0.0.1:18998/x') } catch (e) { console.error(e) }
try { await fetch('https://127.0.0.1:18998/x') } catch (e) { console.error(e) }
