// What the browser tests share (not a test file itself): a real instance of the binary under test
// (a test build, whose clock the tests can move: TOTP codes are single use per 30-second step),
// seeded with demo people; its API over TLS; codes computed by oathtool; Debian's chromium; and
// pages that record what they must never do.

import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import https from 'node:https'
import { chromium } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'

const here = new URL('.', import.meta.url).pathname
export const bin = resolve(process.env.STRONGROOM_BIN ?? join(here, '../../build/debug/strongroom'))
export const password = 'a long and private passphrase'
const shots = resolve(process.env.SCREENSHOTS ?? join(here, '../../build/console-screenshots'))

export class Instance {
  people = {}  // username -> { token, roles, officer, secret }
  offsetSeconds = 0
  output = ''

  run (...args) {
    return execFileSync(bin, args, { encoding: 'utf8' })
  }

  // init (listening at `listen`: one listener for everything, unless `adminListen` gives the admin
  // surface one of its own), seed-demo, and serve.
  async start ({ listen = '127.0.0.1:0', adminListen = '' } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'strongroom-console-'))
    const init = this.run('init', '--data-dir', this.dir, '--environment', 'test', '--listen', listen,
      '--admin-listen', adminListen, '--metrics-listen', '')
    for (const m of init.matchAll(/^\s+(demo\.officer\.\S+)\s+enrolment token ([0-9a-f]{64})/gm)) {
      this.people[m[1]] = { token: m[2], roles: 'security_officer', officer: true }
    }
    const seeded = this.run('seed-demo', '--config', join(this.dir, 'strongroom.toml'),
      '--organisations', '1', '--people', '4', '--records', '3')
    for (const line of seeded.split('\n')) {
      const m = line.match(/^\s+(\S+)\s+.*\s(\S+)\s+remits .* token ([0-9a-f]{64})$/)
      if (m && !line.includes('privileged')) this.people[m[1]] = { token: m[3], roles: m[2] }
    }
    this.server = spawn(bin, ['serve', '--config', join(this.dir, 'strongroom.toml')], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.server.stdout.on('data', d => { this.output += d })
    this.server.stderr.on('data', d => { this.output += d })
    this.origin = await new Promise((resolve, reject) => {
      const look = () => {
        const m = this.output.match(/serving (https:\/\/[^\s,]+:\d+)[^\n]*\n/)
        if (!m) return
        this.adminOrigin = m[0].match(/; admin (https:\/\/[^\s;]+:\d+)/)?.[1] ?? m[1]
        resolve(m[1])
      }
      this.server.stdout.on('data', look)
      this.server.stderr.on('data', look)
      this.server.on('exit', code => reject(new Error(`serve exited (${code}): ${this.output}`)))
    })
  }

  // The server must stop cleanly when asked: a sanitizer's report (the tests can run against the
  // asan build) or a crash during the run fails here, with what the server said.
  async stop () {
    try {
      const server = this.server
      if (server) {
        if (server.exitCode === null && server.signalCode === null) {
          const stopped = new Promise(resolve => server.once('exit', resolve))
          server.kill('SIGTERM')
          // Its grace period is seconds: one that does not stop within a minute is killed, and fails.
          const killer = setTimeout(() => server.kill('SIGKILL'), 60 * 1000)
          await stopped
          clearTimeout(killer)
        }
        assert.deepEqual({ code: server.exitCode, signal: server.signalCode }, { code: 0, signal: null },
          this.output.slice(-4000))
      }
    } finally {
      if (this.dir) rmSync(this.dir, { recursive: true, force: true })
    }
  }

  // The API over TLS, trusting only the instance's own certificate; at the public listener unless
  // `origin` names another.
  call (method, path, body, origin = this.origin) {
    const ca = readFileSync(join(this.dir, 'tls', 'cert.pem'))
    const url = new URL(path, origin)
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, ca, headers: { 'Content-Type': 'application/json' } }, res => {
        let text = ''
        res.on('data', d => { text += d })
        res.on('end', () => resolve({ status: res.statusCode, text, headers: res.headers }))
      })
      req.on('error', reject)
      req.end(body === undefined ? undefined : JSON.stringify(body))
    })
  }

  async advanceClock (seconds) {
    const r = await this.call('POST', '/__test/clock', { advance_ms: seconds * 1000 })
    assert.equal(r.status, 204, r.text)
    this.offsetSeconds += seconds
  }

  // The code an authenticator app would show now, by oathtool (an implementation of its own).
  totp (username) {
    const now = Math.floor(Date.now() / 1000) + this.offsetSeconds
    return execFileSync('oathtool', ['--totp', '-b', this.people[username].secret, '--now', `@${now}`],
      { encoding: 'utf8' }).trim()
  }

  // Privileged accounts enrol where they sign in: the admin listener.
  async enrol (username) {
    const person = this.people[username]
    const at = person.officer ? this.adminOrigin : this.origin
    const begun = await this.call('POST', '/api/v1/auth/enrol', { token: person.token, password }, at)
    assert.equal(begun.status, 200, begun.text)
    person.secret = new URL(JSON.parse(begun.text).totp_uri).searchParams.get('secret')
    const done = await this.call('POST', '/api/v1/auth/enrol/confirm', { token: person.token, code: this.totp(username) }, at)
    assert.equal(done.status, 200, done.text)
    person.recovery = JSON.parse(done.text).recovery_codes
  }
}

export function launchBrowser () {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

// A browser context that records what a page must never do: run a dialog, break its policy, fail
// a request.
export async function openPage (browser, origin) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: origin })
  const page = await context.newPage()
  const problems = []
  page.on('dialog', d => { problems.push(`dialog: ${d.message()}`); d.dismiss() })
  // (A page answered with a 4xx status, as a refused sign-in is, is logged as a failed load.)
  page.on('console', m => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', e => problems.push(`script error: ${e.message}`))
  page.on('response', r => { if (r.status() === 404) problems.push(`404: ${r.url()}`) })
  return { context, page, problems }
}

// axe-core on the page as it is: no serious or critical violation of WCAG 2.2 AA; and it must
// have checked something. A screenshot of it goes to SCREENSHOTS (docs/console.md shows them).
export async function accessible (page, name) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
  assert.ok(results.passes.length > 10, `${name}: axe checked ${results.passes.length} rules`)
  const bad = results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], `${name}: accessibility violations`)
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
}
