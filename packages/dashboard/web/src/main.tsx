import { render } from 'preact';
import { App } from './app';

// The token of the first URL became a cookie on the server's answer: drop it from
// the address bar so it is neither bookmarked nor shown on screen.
if (new URLSearchParams(location.search).has('token')) {
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
