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

// Security keys and passkeys (WebAuthn). A form marked data-webauthn="get" (sign-in) or "create"
// (adding a key) carries the ceremony's options, as the service wrote them; on submit the browser
// is asked, and its answer goes into the form's hidden `credential` field as JSON, base64url bytes
// under snake-case names, for the service to check. Such forms are hidden until this script shows
// them: without script, codes still work.
const fromBase64url = text => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(base64 + '='.repeat((4 - base64.length % 4) % 4)), c => c.charCodeAt(0))
}
const toBase64url = buffer => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const descriptors = list => (list || []).map(d => ({ ...d, id: fromBase64url(d.id) }))

async function webauthnAnswer (kind, options) {
  if (kind === 'get') {
    const credential = await navigator.credentials.get({
      publicKey: { ...options, challenge: fromBase64url(options.challenge), allowCredentials: descriptors(options.allowCredentials) }
    })
    const r = credential.response
    return {
      id: toBase64url(credential.rawId),
      client_data_json: toBase64url(r.clientDataJSON),
      authenticator_data: toBase64url(r.authenticatorData),
      signature: toBase64url(r.signature)
    }
  }
  const credential = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: fromBase64url(options.challenge),
      user: { ...options.user, id: fromBase64url(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials)
    }
  })
  return {
    id: toBase64url(credential.rawId),
    client_data_json: toBase64url(credential.response.clientDataJSON),
    attestation_object: toBase64url(credential.response.attestationObject)
  }
}

if (window.PublicKeyCredential) {
  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    const shown = form.closest('.app-webauthn') || form
    shown.hidden = false
    for (const note of document.querySelectorAll('.app-no-webauthn')) note.hidden = true
    const failed = form.querySelector('.app-webauthn-failed')
    form.addEventListener('submit', async event => {
      if (form.elements.credential.value) return  // the answer is in: let it go
      event.preventDefault()
      failed.hidden = true
      try {
        const answer = await webauthnAnswer(form.dataset.webauthn, JSON.parse(form.dataset.webauthnOptions))
        form.elements.credential.value = JSON.stringify(answer)
        form.submit()
      } catch {
        failed.hidden = false  // cancelled, timed out, or no such key here
      }
    })
  }
  // A form that asks for a fresh second factor may offer the account's security key instead of a
  // code: its button asks the key, puts the answer in the form's key_answer field and sends the
  // form (the action and its proof together, as with a code; a form that adds a key then asks
  // for the new one, as its own submit does).
  for (const button of document.querySelectorAll('button[data-webauthn-reauth]')) {
    const shown = button.closest('.app-webauthn')
    shown.hidden = false
    const failed = shown.querySelector('.app-webauthn-reauth-failed')
    button.addEventListener('click', async () => {
      failed.hidden = true
      try {
        const answer = await webauthnAnswer('get', JSON.parse(button.dataset.webauthnReauth))
        button.form.elements.key_answer.value = JSON.stringify(answer)
      } catch {
        failed.hidden = false
        return
      }
      button.form.requestSubmit()
    })
  }
}
