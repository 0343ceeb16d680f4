// Progressive enhancement only: every page works without this script.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// The GOV.UK timeout warning. A signed-in session ends after so long without a request (the
// layout says how long); a minute before, a dialog offers to stay signed in (one request that
// uses the session: POST /keep-alive) or to sign out, and when the time is up it signs out, as
// the service would refuse the next request anyway. Without this script nothing warns, and the
// next page asks to sign in again.
const dialog = document.getElementById('app-timeout')
if (dialog && typeof dialog.showModal === 'function') {
  const idle = Number(dialog.dataset.idleSeconds) * 1000
  const warnBefore = Math.min(60 * 1000, idle / 2)
  const left = document.getElementById('app-timeout-left')
  const signOut = dialog.querySelector('form')
  // The session is one for every tab: each page load, and staying signed in, is noted where the
  // other tabs see it, and no tab warns or signs out while another has used the session since.
  const stored = () => {
    try { return Number(window.localStorage.getItem('app-last-use')) || 0 } catch { return 0 }
  }
  const lastUse = () => Math.max(used, stored())
  let used = Date.now()
  const note = () => {
    used = Date.now()
    try { window.localStorage.setItem('app-last-use', String(used)) } catch { /* private mode */ }
  }
  let timers = []
  const arm = () => {
    timers.forEach(clearTimeout)
    const end = lastUse() + idle
    const show = () => {
      const s = Math.max(0, Math.ceil((end - Date.now()) / 1000))
      left.textContent = s >= 60 ? '1 minute' : `${s} seconds`
      timers.push(setTimeout(show, 1000))
    }
    const usedElsewhere = () => lastUse() + idle > end
    timers = [
      setTimeout(() => usedElsewhere() ? arm() : (show(), dialog.showModal()),
        end - warnBefore - Date.now()),
      setTimeout(() => usedElsewhere() ? (dialog.close(), arm()) : signOut.submit(),
        end - Date.now())
    ]
  }
  const stay = async () => {
    const body = new URLSearchParams({ csrf_token: signOut.elements.csrf_token.value })
    const answer = await fetch('/keep-alive', { method: 'POST', body, redirect: 'manual' })
    if (answer.status !== 204) {
      window.location.assign('/sign-in')
      return
    }
    note()
    dialog.close()
    arm()
  }
  document.getElementById('app-timeout-stay').addEventListener('click', stay)
  // Escape closes the dialog: as staying signed in.
  dialog.addEventListener('cancel', event => { event.preventDefault(); stay() })
  note()
  arm()
}
