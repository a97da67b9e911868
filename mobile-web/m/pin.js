// PIN management page (首页 → pin 码管理): the signer identifies, then changes the PIN with the
// old one, or after a new face verification sets a new PIN. The session lives in the HttpOnly
// cookie yq_pin, which the browser sends on these same-origin requests.
import { findFace, startCamera, stopCamera } from './face-check.js';
import { ApiError, request } from './api.js';
import { isValidIdNumber } from './id-number.js';

const { createApp, reactive, ref, computed, watch, nextTick, onMounted } = Vue;

const BASE = '/api/v1/pin';
const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
const PIN_PATTERN = /^\d{6}$/;
const TITLES = {
  identify: '身份验证',
  home: 'PIN 码管理',
  change: '修改 PIN 码',
  'forgot-face': '忘记 PIN 码',
  'forgot-pin': '设置新 PIN 码',
  done: 'PIN 码管理',
};

function call(method, path, body) {
  return request(method, BASE + path, body);
}

const app = createApp({
  setup() {
    const view = ref('loading');
    const session = ref({});
    const error = ref('');
    const busy = ref(false);
    const countdown = ref(0);
    const showAgreement = ref(false);
    const form = reactive({
      name: '', idNumber: '', mobile: '', code: '', oldPin: '', newPin: '', newPinRepeat: '',
    });
    const face = reactive({ consent: false, running: false, progress: '' });
    const done = reactive({ kind: '', text: '' });
    const faceVideo = ref(null);
    let countdownTimer = null;

    const title = computed(() => TITLES[view.value] || 'PIN 码管理');
    const canGoHome = computed(() => ['change', 'forgot-face', 'forgot-pin'].includes(view.value));
    const pinStateText = computed(() => {
      if (session.value.locked) return '已锁定';
      return `正常（还可尝试 ${session.value.attemptsLeft} 次）`;
    });

    function fail(message) {
      throw new Error(message);
    }

    function clearPins() {
      form.oldPin = '';
      form.newPin = '';
      form.newPinRepeat = '';
    }

    async function run(action) {
      if (busy.value) return;
      error.value = '';
      busy.value = true;
      try {
        await action();
      } catch (e) {
        if (e instanceof ApiError && e.code === 'PIN_SESSION_EXPIRED') {
          view.value = 'identify';
        }
        error.value = e.message || String(e);
      } finally {
        busy.value = false;
      }
    }

    function show(next) {
      error.value = '';
      clearPins();
      view.value = next;
    }

    async function refresh() {
      session.value = await call('GET', '/session');
    }

    const goHome = () => run(async () => {
      await refresh();
      show('home');
    });

    function checkIdentity() {
      if (!form.name) fail('请输入姓名');
      if (!isValidIdNumber(form.idNumber.toUpperCase())) fail('身份证号码不正确，请核对后重新输入');
      if (form.mobile && !MOBILE_PATTERN.test(form.mobile)) fail('请输入正确的 11 位手机号码');
    }

    function startCountdown(seconds) {
      clearInterval(countdownTimer);
      countdown.value = seconds;
      countdownTimer = setInterval(() => {
        countdown.value -= 1;
        if (countdown.value <= 0) clearInterval(countdownTimer);
      }, 1000);
    }

    const logout = () => run(async () => {
      await call('DELETE', '/session');
      session.value = {};
      show('identify');
    });

    const sendSms = () => run(async () => {
      checkIdentity();
      if (!form.mobile) fail('请输入登记过的手机号');
      const reply = await call('POST', '/sms', {
        name: form.name, idNumber: form.idNumber.toUpperCase(), mobile: form.mobile,
      });
      startCountdown(reply.resendAfterSeconds || 60);
    });

    const identify = () => run(async () => {
      checkIdentity();
      if (form.mobile && !/^\d{6}$/.test(form.code)) fail('请输入 6 位短信验证码');
      const body = { name: form.name, idNumber: form.idNumber.toUpperCase() };
      if (form.mobile) {
        body.mobile = form.mobile;
        body.code = form.code;
      }
      session.value = await call('POST', '/session', body);
      form.code = '';
      show('home');
    });

    function checkNewPin() {
      if (!PIN_PATTERN.test(form.newPin)) fail('PIN 码须为 6 位数字');
      if (form.newPin !== form.newPinRepeat) fail('两次输入的新 PIN 码不一致');
    }

    const changePin = () => run(async () => {
      if (!PIN_PATTERN.test(form.oldPin)) fail('请输入 6 位原 PIN 码');
      checkNewPin();
      try {
        await call('POST', '/change', {
          oldPin: form.oldPin, newPin: form.newPin, newPinRepeat: form.newPinRepeat,
        });
      } finally {
        clearPins();
      }
      done.kind = 'CHANGED';
      done.text = 'PIN 码修改成功，请使用新 PIN 码签章';
      view.value = 'done';
    });

    const startFace = () => run(async () => {
      if (!face.consent) fail('请先阅读并勾选同意《认证服务协议》');
      if (session.value.faceProvider === 'external') {
        const reply = await call('POST', '/face/start', { consent: true });
        window.location.href = reply.redirectUrl;
        return;
      }
      face.running = true;
      await nextTick();
      let stream = null;
      try {
        stream = await startCamera(faceVideo.value);
        const found = await findFace(faceVideo.value, {
          onProgress: (text) => { face.progress = text; },
        });
        if (found.faceCount === 0) fail('没有检测到人脸');
        if (found.faceCount > 1) fail('画面中有多张人脸，请单独面对镜头后重试');
        face.progress = '正在提交认证…';
        session.value = await call('POST', '/face', { ...found, consent: true });
        show('forgot-pin');
      } finally {
        face.progress = '';
        stopCamera(stream);
        face.running = false;
      }
    });

    const resetPin = () => run(async () => {
      checkNewPin();
      let reply;
      try {
        reply = await call('POST', '/reset', {
          newPin: form.newPin, newPinRepeat: form.newPinRepeat,
        });
      } finally {
        clearPins();
      }
      done.kind = reply.status;
      done.text = reply.status === 'PENDING_REVIEW'
        ? '已提交，等待工作人员审核。审核通过后新 PIN 码生效，结果将以短信通知您'
        : 'PIN 码已重置，请使用新 PIN 码签章';
      view.value = 'done';
    });

    // Vue does not compile the mount container's own attributes, so the view is copied onto
    // it here. Browser tests read #app[data-step].
    watch(view, (current) => {
      document.getElementById('app').dataset.step = current;
    }, { immediate: true });

    onMounted(() => run(async () => {
      try {
        await refresh();
      } catch (e) {
        view.value = 'identify';
        if (e instanceof ApiError && e.code === 'PIN_SESSION_EXPIRED') return;
        throw e;
      }
      if (new URLSearchParams(window.location.search).get('face') === 'done') {
        session.value = await call('POST', '/face/result');
        show('forgot-pin');
        return;
      }
      show('home');
    }));

    return {
      view, session, error, busy, countdown, showAgreement, form, face, done, faceVideo,
      title, canGoHome, pinStateText, show, goHome, logout, sendSms, identify, changePin, startFace,
      resetPin,
    };
  },
});

app.use(vant);
app.mount('#app');
