// Phone enrolment page: shows the step the gateway reports as current, submits it, and reloads
// the state, so a reopened page resumes where the person left off.
import { areaList } from '/m/vendor/@vant/area-data/dist/index.js';
import { ApiError, currentState, openEnrolment, submitStep } from './api.js';
import { findFace, startCamera, stopCamera } from './face-check.js';
import { SignatureCapture } from './signature.js';
import { isValidIdNumber } from './id-number.js';

const { createApp, reactive, ref, computed, watch, nextTick, onMounted } = Vue;

/** Default button texts; the gateway's state.labels overrides them. */
const DEFAULT_LABELS = {
  smsSend: '获取验证码',
  login: '登录',
  signatureStart: '点我签名',
  signatureClear: '重新签名',
  faceStart: '开始认证',
  facePostpone: '暂不认证',
  back: '上一步',
  submit: '提交',
};

const STEP_TITLES = {
  'sms-login': '手机登录',
  'id-card': '身份证件',
  region: '所在地区',
  identity: '信息录入',
  pin: 'PIN 码',
  face: '扫脸认证',
  signature: '签名采集',
  review: '确认提交',
  result: '认证完成',
};

/** Two-character names for the step bar, which has room for about 45 px per step. */
const STEP_SHORT_TITLES = {
  'sms-login': '登录',
  'id-card': '证件',
  region: '地区',
  identity: '信息',
  pin: 'PIN',
  face: '人脸',
  signature: '签名',
  review: '确认',
  result: '完成',
};

const STATUS_TEXT = {
  PENDING_REVIEW: '已提交，等待工作人员审核，审核结果将以短信通知您',
  APPROVED: '认证成功，您的云签已开通',
  REJECTED: '审核未通过',
  FACE_POSTPONED: '已暂缓扫脸认证，请稍后重新打开本页面完成',
};

const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
const FINISHED = ['PENDING_REVIEW', 'APPROVED', 'REJECTED'];

const app = createApp({
  setup() {
    const state = ref(null);
    const error = ref('');
    const busy = ref(false);
    const countdown = ref(0);
    const showAgreement = ref(false);
    const signatureStarted = ref(false);
    const previews = reactive({ front: '', back: '' });
    const photos = { front: null, back: null };
    const form = reactive({
      mobile: '', code: '', countyCode: firstCountyCode(), personType: '专家', name: '',
      idNumber: '', pin: '', pinRepeat: '',
    });
    const face = reactive({ consent: false, running: false, progress: '' });
    const faceVideo = ref(null);
    const signatureCanvas = ref(null);
    let signature = null;
    let countdownTimer = null;

    const L = computed(() => ({
      ...DEFAULT_LABELS,
      ...((state.value && state.value.labels) || {}),
    }));
    const steps = computed(() => (state.value ? state.value.steps || [] : []));
    const stepBar = computed(() => steps.value);

    const view = computed(() => {
      const s = state.value;
      if (!s) {
        return 'loading';
      }
      if (FINISHED.includes(s.status)) {
        return 'result';
      }
      if (s.current === 'result') {
        return 'review';
      }
      return s.current;
    });

    const activeIndex = computed(() => {
      if (view.value === 'result') {
        return steps.value.length;
      }
      return Math.max(0, steps.value.indexOf(state.value ? state.value.current : ''));
    });

    const title = computed(() => {
      const status = state.value && state.value.status;
      if (view.value === 'result' && status === 'PENDING_REVIEW') return '等待审核';
      if (view.value === 'result' && status === 'REJECTED') return '审核未通过';
      return STEP_TITLES[view.value] || '云签信息采集';
    });

    // Going back is allowed only before the PIN step is done: the key is generated there, so
    // the gateway rejects going back from then on.
    const canGoBack = computed(() => {
      const s = state.value;
      if (!s || view.value === 'result' || view.value === 'loading') {
        return false;
      }
      return steps.value.indexOf(s.current) > 0 && !(s.completed || []).includes('pin');
    });

    const identityAsksMobile = computed(() => !steps.value.includes('sms-login'));

    const statusText = computed(() => {
      const s = state.value;
      if (!s) {
        return '';
      }
      if (s.status === 'REJECTED' && s.rejectionReason) {
        return `审核未通过：${s.rejectionReason}`;
      }
      return STATUS_TEXT[s.status] || '';
    });

    const resultIcon = computed(() => {
      const status = state.value && state.value.status;
      if (status === 'REJECTED') return 'close';
      if (status === 'PENDING_REVIEW') return 'clock-o';
      return 'checked';
    });

    function stepTitle(step) {
      return STEP_TITLES[step] || step;
    }

    function stepShortTitle(step) {
      return steps.value.length > 5 ? STEP_SHORT_TITLES[step] || step : stepTitle(step);
    }

    function isDone(step) {
      const s = state.value;
      if (!s) return false;
      return (s.completed || []).includes(step) || (step === 'result' && s.status === 'APPROVED')
        || (step === 'review' && FINISHED.includes(s.status));
    }

    async function run(action) {
      if (busy.value) {
        return;
      }
      busy.value = true;
      error.value = '';
      try {
        await action();
      } catch (e) {
        error.value = e.message || '操作失败，请重试';
        if (!(e instanceof ApiError)) {
          console.error(e);
        }
      } finally {
        busy.value = false;
      }
    }

    async function refresh() {
      state.value = await currentState();
    }

    function fail(message) {
      throw new Error(message);
    }

    function startCountdown(seconds) {
      clearInterval(countdownTimer);
      countdown.value = seconds;
      countdownTimer = setInterval(() => {
        countdown.value -= 1;
        if (countdown.value <= 0) {
          clearInterval(countdownTimer);
        }
      }, 1000);
    }

    const sendSms = () => run(async () => {
      if (!MOBILE_PATTERN.test(form.mobile)) fail('请输入正确的 11 位手机号');
      const reply = await submitStep('sms/request', { mobile: form.mobile });
      startCountdown(reply.resendAfterSeconds || 60);
    });

    const login = () => run(async () => {
      if (!MOBILE_PATTERN.test(form.mobile)) fail('请输入正确的 11 位手机号');
      if (!/^\d{4,8}$/.test(form.code)) fail('请输入短信验证码');
      await submitStep('sms/verify', { mobile: form.mobile, code: form.code });
      form.code = '';
      await refresh();
    });

    function pickPhoto(side, event) {
      const file = event.target.files && event.target.files[0];
      error.value = '';
      if (!file) {
        return;
      }
      if (file.size > MAX_PHOTO_BYTES) {
        error.value = '照片不能超过 8 MB，请重新拍摄或选择';
        event.target.value = '';
        return;
      }
      photos[side] = file;
      if (previews[side]) URL.revokeObjectURL(previews[side]);
      previews[side] = URL.createObjectURL(file);
    }

    const submitIdCard = () => run(async () => {
      if (!photos.front) fail('请上传身份证人像面照片');
      if (!photos.back) fail('请上传身份证国徽面照片');
      const body = new FormData();
      body.append('front', photos.front, photos.front.name || 'front.jpg');
      body.append('back', photos.back, photos.back.name || 'back.jpg');
      await submitStep('id-card', body);
      await refresh();
    });

    const submitRegion = () => run(async () => {
      if (!/^\d{6}$/.test(form.countyCode || '')) fail('请选择所在区县');
      await submitStep('region', { countyCode: form.countyCode });
      await refresh();
    });

    const submitIdentity = () => run(async () => {
      if (!form.personType) fail('请选择人员类型');
      if (!form.name) fail('请输入人员姓名');
      const idNumber = form.idNumber.toUpperCase();
      if (!isValidIdNumber(idNumber)) fail('身份证号格式不正确，请核对后重新输入');
      const body = { personType: form.personType, name: form.name, idNumber };
      if (identityAsksMobile.value && (form.mobile || form.code)) {
        if (!MOBILE_PATTERN.test(form.mobile)) fail('请输入正确的 11 位手机号');
        if (!/^\d{4,8}$/.test(form.code)) fail('请输入短信验证码');
        body.mobile = form.mobile;
        body.code = form.code;
      }
      await submitStep('identity', body);
      await refresh();
    });

    const submitPin = () => run(async () => {
      if (!/^\d{6}$/.test(form.pin)) fail('请输入 6 位数字 PIN 码');
      if (form.pin !== form.pinRepeat) fail('两次输入的 PIN 码不一致');
      try {
        await submitStep('pin', { pin: form.pin, pinRepeat: form.pinRepeat });
      } finally {
        form.pin = '';
        form.pinRepeat = '';
      }
      await refresh();
    });

    const startFace = () => run(async () => {
      if (!face.consent) fail('请先阅读并勾选同意《认证服务协议》');
      if (state.value.faceProvider === 'external') {
        const reply = await submitStep('face/start', { consent: true });
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
        await submitStep('face', { ...found, consent: true });
        face.progress = '';
        await refresh();
      } catch (e) {
        face.progress = '';
        throw e;
      } finally {
        stopCamera(stream);
        face.running = false;
      }
    });

    const postponeFace = () => run(async () => {
      await submitStep('face/postpone');
      await refresh();
    });

    const clearSignature = () => {
      error.value = '';
      if (signature) signature.clear();
      signatureStarted.value = false;
    };

    const submitSignature = () => run(async () => {
      const strokes = signature ? signature.strokeCount() : 0;
      if (strokes === 0) fail('请先在签名区域书写您的姓名');
      if (strokes < 2) fail('签名笔画过少，请完整书写您的姓名');
      const png = signature.trimmedPngBase64();
      if (!png) fail('请先在签名区域书写您的姓名');
      await submitStep('signature', { png, strokes });
      await refresh();
    });

    const submitAll = () => run(async () => {
      await submitStep('submit');
      await refresh();
    });

    const goBack = () => run(async () => {
      await submitStep('back');
      await refresh();
    });

    // Vue does not compile the mount container's own attributes, so the view is copied onto
    // it here. Browser tests read #app[data-step].
    watch(view, (current) => {
      document.getElementById('app').dataset.step = current;
    }, { immediate: true });

    watch(view, async (current, previous) => {
      if (previous === 'signature' && signature) {
        signature.destroy();
        signature = null;
      }
      if (current === 'signature') {
        await nextTick();
        signatureStarted.value = false;
        signature = new SignatureCapture(signatureCanvas.value, () => {
          signatureStarted.value = true;
        });
      }
    });

    onMounted(() => run(async () => {
      const params = new URLSearchParams(window.location.search);
      const link = params.get('link');
      try {
        if (link) {
          await openEnrolment(link);
        }
        if (params.get('face') === 'done') {
          await submitStep('face/result');
        }
        await refresh();
      } catch (e) {
        state.value = state.value || { steps: [], completed: [], current: 'none', status: 'NONE' };
        if (!link && e instanceof ApiError && (e.status === 401 || e.status === 404)) {
          throw new Error('链接无效，请重新扫描二维码');
        }
        throw e;
      }
    }));

    return {
      state, error, busy, countdown, showAgreement, signatureStarted, previews, form, face,
      faceVideo, signatureCanvas, L, stepBar, view, activeIndex, title, canGoBack,
      identityAsksMobile, statusText, resultIcon, personTypes: ['专家', '代理', '监督', '甲方'],
      areaList, stepTitle, stepShortTitle, isDone, sendSms, login, pickPhoto, submitIdCard,
      submitRegion, submitIdentity, submitPin, startFace, postponeFace, clearSignature,
      submitSignature,
      submitAll, goBack,
    };
  },
});

function firstCountyCode() {
  return Object.keys(areaList.county_list).sort()[0];
}

app.use(vant);
app.mount('#app');
