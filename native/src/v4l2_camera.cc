// v4l2-camera: V4L2 capture devices for Node, through N-API (node-addon-api).
//
// Shape:
//   open(path)            -> Promise<Device>   (open O_RDWR|O_NONBLOCK, VIDIOC_QUERYCAP)
//   devicePaths()         -> Promise<string[]> (/dev/video*, in number order)
//   Device methods        -> Promises; each ioctl runs on the libuv thread pool
//                            (one Napi::AsyncWorker per call), never on the JS thread.
//   Streaming             -> buffers are mmapped and queued in a worker; a uv_poll_t on
//                            the fd says when one is done; on the JS thread it is dequeued,
//                            copied into a Node Buffer, requeued at once and handed to JS.
//
// Every error is a JS Error with errno (positive), code ("EINVAL"), syscall
// ("VIDIOC_S_FMT", "open", "mmap") and path. Closing is idempotent and happens
// on every path: close(), the garbage collector (finalizer), and the end of the
// Node environment (an async cleanup hook, so poll handles close properly).

#include <napi.h>
#include <uv.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <shared_mutex>
#include <mutex>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

struct SysError {
  int err;
  std::string syscall;
  std::string detail;
};

[[noreturn]] void Throw(const char* syscall, int err, std::string detail = "") {
  throw SysError{err, syscall, std::move(detail)};
}

std::string ErrnoName(int err) {
  const char* name = uv_err_name(-err);
  if (name == nullptr || std::strncmp(name, "Unknown", 7) == 0) return "EIO";
  return name;
}

Napi::Error MakeError(Napi::Env env, const SysError& error, const std::string& path) {
  std::string code = ErrnoName(error.err);
  std::string message = error.syscall + " " + path + ": " + std::strerror(error.err) + " (" + code + ")";
  if (!error.detail.empty()) message += ": " + error.detail;
  Napi::Error js = Napi::Error::New(env, message);
  js.Set("errno", Napi::Number::New(env, error.err));
  js.Set("code", Napi::String::New(env, code));
  js.Set("syscall", Napi::String::New(env, error.syscall));
  js.Set("path", Napi::String::New(env, path));
  return js;
}

int Ioctl(int fd, unsigned long request, void* arg) {
  int result;
  do {
    result = ioctl(fd, request, arg);
  } while (result == -1 && errno == EINTR);
  return result;
}

#define IOCTL_OR_THROW(fd, request, arg)                        \
  do {                                                          \
    if (Ioctl((fd), (request), (arg)) == -1) Throw(#request, errno); \
  } while (0)

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

std::string FixedString(const void* bytes, size_t size) {
  const char* text = static_cast<const char*>(bytes);
  return std::string(text, strnlen(text, size));
}

std::string FourccString(uint32_t code) {
  std::string text;
  for (int shift = 0; shift < 32; shift += 8) {
    char c = static_cast<char>((code >> shift) & 0x7f);
    text += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (code & (1u << 31)) text += "-BE";
  return text;
}

uint32_t FourccCode(const std::string& text) {
  uint32_t code = 0;
  for (size_t i = 0; i < 4 && i < text.size(); i++) {
    code |= static_cast<uint32_t>(static_cast<uint8_t>(text[i])) << (8 * i);
  }
  if (text.size() == 7 && text.compare(4, 3, "-BE") == 0) code |= 1u << 31;
  return code;
}

struct Named {
  uint32_t bit;
  const char* name;
};

const Named kCapabilities[] = {
    {V4L2_CAP_VIDEO_CAPTURE, "video-capture"},
    {V4L2_CAP_VIDEO_OUTPUT, "video-output"},
    {V4L2_CAP_VIDEO_OVERLAY, "video-overlay"},
    {V4L2_CAP_VBI_CAPTURE, "vbi-capture"},
    {V4L2_CAP_VBI_OUTPUT, "vbi-output"},
    {V4L2_CAP_SLICED_VBI_CAPTURE, "sliced-vbi-capture"},
    {V4L2_CAP_SLICED_VBI_OUTPUT, "sliced-vbi-output"},
    {V4L2_CAP_RDS_CAPTURE, "rds-capture"},
    {V4L2_CAP_VIDEO_OUTPUT_OVERLAY, "video-output-overlay"},
    {V4L2_CAP_HW_FREQ_SEEK, "hw-freq-seek"},
    {V4L2_CAP_RDS_OUTPUT, "rds-output"},
    {V4L2_CAP_VIDEO_CAPTURE_MPLANE, "video-capture-mplane"},
    {V4L2_CAP_VIDEO_OUTPUT_MPLANE, "video-output-mplane"},
    {V4L2_CAP_VIDEO_M2M_MPLANE, "video-m2m-mplane"},
    {V4L2_CAP_VIDEO_M2M, "video-m2m"},
    {V4L2_CAP_TUNER, "tuner"},
    {V4L2_CAP_AUDIO, "audio"},
    {V4L2_CAP_RADIO, "radio"},
    {V4L2_CAP_MODULATOR, "modulator"},
    {V4L2_CAP_SDR_CAPTURE, "sdr-capture"},
    {V4L2_CAP_EXT_PIX_FORMAT, "ext-pix-format"},
    {V4L2_CAP_SDR_OUTPUT, "sdr-output"},
    {V4L2_CAP_META_CAPTURE, "meta-capture"},
    {V4L2_CAP_READWRITE, "readwrite"},
    {0x02000000, "edid"},  // V4L2_CAP_EDID, newer than some system headers
    {V4L2_CAP_STREAMING, "streaming"},
    {V4L2_CAP_META_OUTPUT, "meta-output"},
    {V4L2_CAP_TOUCH, "touch"},
    {V4L2_CAP_IO_MC, "io-mc"},
    {V4L2_CAP_DEVICE_CAPS, "device-caps"},
};

const Named kControlFlags[] = {
    {V4L2_CTRL_FLAG_DISABLED, "disabled"},
    {V4L2_CTRL_FLAG_GRABBED, "grabbed"},
    {V4L2_CTRL_FLAG_READ_ONLY, "read-only"},
    {V4L2_CTRL_FLAG_UPDATE, "update"},
    {V4L2_CTRL_FLAG_INACTIVE, "inactive"},
    {V4L2_CTRL_FLAG_SLIDER, "slider"},
    {V4L2_CTRL_FLAG_WRITE_ONLY, "write-only"},
    {V4L2_CTRL_FLAG_VOLATILE, "volatile"},
    {V4L2_CTRL_FLAG_HAS_PAYLOAD, "has-payload"},
    {V4L2_CTRL_FLAG_EXECUTE_ON_WRITE, "execute-on-write"},
    {V4L2_CTRL_FLAG_MODIFY_LAYOUT, "modify-layout"},
    {V4L2_CTRL_FLAG_DYNAMIC_ARRAY, "dynamic-array"},
};

const char* ControlTypeName(uint32_t type) {
  switch (type) {
    case V4L2_CTRL_TYPE_INTEGER: return "integer";
    case V4L2_CTRL_TYPE_BOOLEAN: return "boolean";
    case V4L2_CTRL_TYPE_MENU: return "menu";
    case V4L2_CTRL_TYPE_INTEGER_MENU: return "integer-menu";
    case V4L2_CTRL_TYPE_BUTTON: return "button";
    case V4L2_CTRL_TYPE_INTEGER64: return "integer64";
    case V4L2_CTRL_TYPE_STRING: return "string";
    case V4L2_CTRL_TYPE_BITMASK: return "bitmask";
    case V4L2_CTRL_TYPE_U8: return "u8";
    case V4L2_CTRL_TYPE_U16: return "u16";
    case V4L2_CTRL_TYPE_U32: return "u32";
    case V4L2_CTRL_TYPE_AREA: return "area";
    default: return "compound";
  }
}

const char* FieldName(uint32_t field) {
  switch (field) {
    case V4L2_FIELD_ANY: return "any";
    case V4L2_FIELD_NONE: return "none";
    case V4L2_FIELD_TOP: return "top";
    case V4L2_FIELD_BOTTOM: return "bottom";
    case V4L2_FIELD_INTERLACED: return "interlaced";
    case V4L2_FIELD_SEQ_TB: return "seq-tb";
    case V4L2_FIELD_SEQ_BT: return "seq-bt";
    case V4L2_FIELD_ALTERNATE: return "alternate";
    case V4L2_FIELD_INTERLACED_TB: return "interlaced-tb";
    case V4L2_FIELD_INTERLACED_BT: return "interlaced-bt";
    default: return "unknown";
  }
}

Napi::Array Names(Napi::Env env, uint32_t bits, const Named* table, size_t count) {
  Napi::Array names = Napi::Array::New(env);
  uint32_t at = 0;
  for (size_t i = 0; i < count; i++) {
    if (bits & table[i].bit) names.Set(at++, Napi::String::New(env, table[i].name));
  }
  return names;
}

// ---------------------------------------------------------------------------
// Plain results, built on the worker thread, turned into JS on the main thread
// ---------------------------------------------------------------------------

struct Capability {
  std::string driver, card, busInfo;
  uint32_t version = 0, capabilities = 0, deviceCaps = 0;
};

Capability QueryCap(int fd) {
  v4l2_capability cap{};
  IOCTL_OR_THROW(fd, VIDIOC_QUERYCAP, &cap);
  Capability result;
  result.driver = FixedString(cap.driver, sizeof cap.driver);
  result.card = FixedString(cap.card, sizeof cap.card);
  result.busInfo = FixedString(cap.bus_info, sizeof cap.bus_info);
  result.version = cap.version;
  result.capabilities = cap.capabilities;
  result.deviceCaps =
      (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  return result;
}

Napi::Object CapabilityObject(Napi::Env env, const Capability& cap, const std::string& path) {
  Napi::Object info = Napi::Object::New(env);
  info.Set("path", path);
  info.Set("driver", cap.driver);
  info.Set("card", cap.card);
  info.Set("busInfo", cap.busInfo);
  info.Set("kernelVersion", std::to_string((cap.version >> 16) & 0xff) + "." +
                                std::to_string((cap.version >> 8) & 0xff) + "." +
                                std::to_string(cap.version & 0xff));
  info.Set("capabilities", Names(env, cap.deviceCaps & ~V4L2_CAP_DEVICE_CAPS, kCapabilities,
                                 sizeof kCapabilities / sizeof kCapabilities[0]));
  info.Set("deviceCaps", Napi::Number::New(env, cap.deviceCaps));
  info.Set("physicalCaps", Napi::Number::New(env, cap.capabilities));
  return info;
}

Napi::Object FormatObject(Napi::Env env, const v4l2_pix_format& pix) {
  Napi::Object format = Napi::Object::New(env);
  format.Set("width", Napi::Number::New(env, pix.width));
  format.Set("height", Napi::Number::New(env, pix.height));
  format.Set("fourcc", FourccString(pix.pixelformat));
  format.Set("bytesPerLine", Napi::Number::New(env, pix.bytesperline));
  format.Set("sizeImage", Napi::Number::New(env, pix.sizeimage));
  format.Set("field", FieldName(pix.field));
  format.Set("colorspace", Napi::Number::New(env, pix.colorspace));
  return format;
}

Napi::Object FractionObject(Napi::Env env, const v4l2_fract& fract) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("numerator", Napi::Number::New(env, fract.numerator));
  object.Set("denominator", Napi::Number::New(env, fract.denominator));
  return object;
}

double Fps(const v4l2_fract& interval) {
  return interval.numerator == 0 ? 0 : static_cast<double>(interval.denominator) / interval.numerator;
}

struct Parm {
  v4l2_fract interval{};
  bool settable = false;
};

Napi::Object FrameRateObject(Napi::Env env, const Parm& parm) {
  Napi::Object rate = FractionObject(env, parm.interval);
  rate.Set("fps", Napi::Number::New(env, Fps(parm.interval)));
  rate.Set("settable", Napi::Boolean::New(env, parm.settable));
  return rate;
}

// A control value crossing threads: integers as int64, strings as text.
struct ControlValue {
  bool isString = false;
  bool isBig = false;  // integer64: a BigInt in JS
  int64_t number = 0;
  std::string text;
  bool present = false;
};

Napi::Value ControlValueToJs(Napi::Env env, const ControlValue& value) {
  if (!value.present) return env.Undefined();
  if (value.isString) return Napi::String::New(env, value.text);
  if (value.isBig) return Napi::BigInt::New(env, value.number);
  return Napi::Number::New(env, static_cast<double>(value.number));
}

struct MenuEntry {
  uint32_t index;
  std::string name;
  int64_t value;
};

struct Control {
  v4l2_query_ext_ctrl query{};
  ControlValue value;
  std::vector<MenuEntry> menu;
};

bool IsScalarReadable(const v4l2_query_ext_ctrl& query) {
  if (query.flags & V4L2_CTRL_FLAG_WRITE_ONLY) return false;
  switch (query.type) {
    case V4L2_CTRL_TYPE_INTEGER:
    case V4L2_CTRL_TYPE_BOOLEAN:
    case V4L2_CTRL_TYPE_MENU:
    case V4L2_CTRL_TYPE_INTEGER_MENU:
    case V4L2_CTRL_TYPE_INTEGER64:
    case V4L2_CTRL_TYPE_BITMASK:
      return true;
    case V4L2_CTRL_TYPE_STRING:
      return query.nr_of_dims == 0;
    default:
      return false;
  }
}

v4l2_query_ext_ctrl QueryControl(int fd, uint32_t id) {
  v4l2_query_ext_ctrl query{};
  query.id = id;
  IOCTL_OR_THROW(fd, VIDIOC_QUERY_EXT_CTRL, &query);
  return query;
}

ControlValue ReadControl(int fd, const v4l2_query_ext_ctrl& query) {
  v4l2_ext_control control{};
  control.id = query.id;
  std::vector<char> text;
  if (query.type == V4L2_CTRL_TYPE_STRING) {
    text.resize(static_cast<size_t>(query.elem_size) + 1, '\0');
    control.size = query.elem_size;
    control.string = text.data();
  }
  v4l2_ext_controls controls{};
  controls.which = V4L2_CTRL_WHICH_CUR_VAL;
  controls.count = 1;
  controls.controls = &control;
  IOCTL_OR_THROW(fd, VIDIOC_G_EXT_CTRLS, &controls);
  ControlValue value;
  value.present = true;
  switch (query.type) {
    case V4L2_CTRL_TYPE_STRING:
      value.isString = true;
      value.text = std::string(text.data(), strnlen(text.data(), text.size()));
      break;
    case V4L2_CTRL_TYPE_INTEGER64:
      value.isBig = true;
      value.number = control.value64;
      break;
    case V4L2_CTRL_TYPE_BITMASK:
      value.number = static_cast<uint32_t>(control.value);
      break;
    default:
      value.number = control.value;
  }
  return value;
}

// ---------------------------------------------------------------------------
// The addon's per-environment state, shared (by shared_ptr) with every device
// and closing poll handle, so whichever goes last frees it.
// ---------------------------------------------------------------------------

class Device;

struct AddonData {
  Napi::FunctionReference deviceConstructor;
  std::set<Device*> devices;
  int closingPolls = 0;
  napi_async_cleanup_hook_handle cleanupHook = nullptr;
  bool tearingDown = false;

  void PollClosed() {
    closingPolls--;
    if (tearingDown && closingPolls == 0 && cleanupHook != nullptr) {
      napi_remove_async_cleanup_hook(cleanupHook);
      cleanupHook = nullptr;
    }
  }
};

// The poll handle lives on the heap until libuv has closed it.
struct PollHandle {
  uv_poll_t poll;
  Device* device;
  std::shared_ptr<AddonData> addon;
};

struct MappedBuffer {
  void* start = MAP_FAILED;
  size_t length = 0;
};

// ---------------------------------------------------------------------------
// Device
// ---------------------------------------------------------------------------

class Device : public Napi::ObjectWrap<Device> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "V4l2NativeDevice",
        {
            InstanceMethod<&Device::QueryCapabilities>("queryCapabilities"),
            InstanceMethod<&Device::ListFormats>("listFormats"),
            InstanceMethod<&Device::ListFrameSizes>("listFrameSizes"),
            InstanceMethod<&Device::ListFrameIntervals>("listFrameIntervals"),
            InstanceMethod<&Device::GetFormat>("getFormat"),
            InstanceMethod<&Device::SetFormat>("setFormat"),
            InstanceMethod<&Device::GetFrameRate>("getFrameRate"),
            InstanceMethod<&Device::SetFrameRate>("setFrameRate"),
            InstanceMethod<&Device::ListControls>("listControls"),
            InstanceMethod<&Device::GetControl>("getControl"),
            InstanceMethod<&Device::SetControl>("setControl"),
            InstanceMethod<&Device::StartStreaming>("startStreaming"),
            InstanceMethod<&Device::PauseStreaming>("pauseStreaming"),
            InstanceMethod<&Device::ResumeStreaming>("resumeStreaming"),
            InstanceMethod<&Device::StopStreaming>("stopStreaming"),
            InstanceMethod<&Device::ReleaseFrame>("releaseFrame"),
            InstanceMethod<&Device::Close>("close"),
            InstanceAccessor<&Device::Path>("path"),
            InstanceAccessor<&Device::Fd>("fd"),
        });
  }

  // Made only by open(): new V4l2NativeDevice(fd, path, token).
  Device(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Device>(info) {
    Napi::Env env = info.Env();
    addon_ = *env.GetInstanceData<std::shared_ptr<AddonData>>();
    if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsString()) {
      throw Napi::TypeError::New(env, "V4l2NativeDevice is made by open(path), not by new");
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    path_ = info[1].As<Napi::String>().Utf8Value();
    addon_->devices.insert(this);
  }

  ~Device() override {
    finalizing_ = true;
    Shutdown();
    addon_->devices.erase(this);
  }

  // Stops everything and closes the fd, synchronously. Safe to call twice, from
  // close(), the finalizer and the environment's cleanup hook.
  void Shutdown() {
    ClosePoll();
    DetachLent();
    {
      std::unique_lock<std::shared_mutex> lock(fdMutex_);
      if (fd_ >= 0 && (streamOn_ || !buffers_.empty())) ReleaseBuffers(fd_);
      if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
      }
    }
    DropSink();
  }

  const std::string& path() const { return path_; }
  std::shared_mutex& fdMutex() { return fdMutex_; }
  int fd() const { return fd_; }

 private:
  // A call on the thread pool. `work` runs with the fd (shared lock held, so a
  // close waits for it); `done` builds the JS result on the main thread.
  template <typename Result>
  class Task : public Napi::AsyncWorker {
   public:
    using Work = std::function<Result(int fd)>;
    using Done = std::function<Napi::Value(Napi::Env, Result&)>;

    Task(Device* device, const char* syscall, Work work, Done done)
        : Napi::AsyncWorker(device->Env(), syscall),
          device_(device),
          keep_(Napi::Persistent(device->Value())),
          syscall_(syscall),
          deferred_(Napi::Promise::Deferred::New(device->Env())),
          work_(std::move(work)),
          done_(std::move(done)) {}

    Napi::Promise Promise() { return deferred_.Promise(); }

   protected:
    void Execute() override {
      std::shared_lock<std::shared_mutex> lock(device_->fdMutex());
      if (device_->fd() < 0) {
        error_ = SysError{EBADF, syscall_, "the device is closed"};
        failed_ = true;
        return;
      }
      try {
        result_ = work_(device_->fd());
      } catch (const SysError& error) {
        error_ = error;
        failed_ = true;
      } catch (const std::exception& error) {
        error_ = SysError{EIO, syscall_, error.what()};
        failed_ = true;
      }
    }

    void OnOK() override {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      if (failed_) {
        deferred_.Reject(MakeError(env, error_, device_->path()).Value());
        return;
      }
      try {
        deferred_.Resolve(done_(env, result_));
      } catch (const SysError& error) {
        deferred_.Reject(MakeError(env, error, device_->path()).Value());
      } catch (const Napi::Error& error) {
        deferred_.Reject(error.Value());
      }
    }

    void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

   private:
    Device* device_;
    Napi::ObjectReference keep_;  // the device stays alive while the call runs
    std::string syscall_;
    Napi::Promise::Deferred deferred_;
    Work work_;
    Done done_;
    Result result_{};
    SysError error_{0, "", ""};
    bool failed_ = false;
  };

  template <typename Result>
  Napi::Value Run(const char* syscall, typename Task<Result>::Work work,
                  typename Task<Result>::Done done) {
    auto* task = new Task<Result>(this, syscall, std::move(work), std::move(done));
    Napi::Promise promise = task->Promise();
    task->Queue();
    return promise;
  }

  Napi::Value Path(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), path_); }
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  Napi::Value QueryCapabilities(const Napi::CallbackInfo&) {
    std::string path = path_;
    return Run<Capability>(
        "VIDIOC_QUERYCAP", [](int fd) { return QueryCap(fd); },
        [path](Napi::Env env, Capability& cap) -> Napi::Value {
          return CapabilityObject(env, cap, path);
        });
  }

  Napi::Value ListFormats(const Napi::CallbackInfo&) {
    return Run<std::vector<v4l2_fmtdesc>>(
        "VIDIOC_ENUM_FMT",
        [](int fd) {
          std::vector<v4l2_fmtdesc> formats;
          for (uint32_t index = 0; index < 1024; index++) {
            v4l2_fmtdesc desc{};
            desc.index = index;
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
            if (Ioctl(fd, VIDIOC_ENUM_FMT, &desc) == -1) {
              if (errno == EINVAL) break;
              Throw("VIDIOC_ENUM_FMT", errno);
            }
            formats.push_back(desc);
          }
          return formats;
        },
        [](Napi::Env env, std::vector<v4l2_fmtdesc>& formats) -> Napi::Value {
          Napi::Array list = Napi::Array::New(env, formats.size());
          for (size_t i = 0; i < formats.size(); i++) {
            const v4l2_fmtdesc& desc = formats[i];
            Napi::Object format = Napi::Object::New(env);
            format.Set("fourcc", FourccString(desc.pixelformat));
            format.Set("description", FixedString(desc.description, sizeof desc.description));
            format.Set("compressed", (desc.flags & V4L2_FMT_FLAG_COMPRESSED) != 0);
            format.Set("emulated", (desc.flags & V4L2_FMT_FLAG_EMULATED) != 0);
            list.Set(static_cast<uint32_t>(i), format);
          }
          return list;
        });
  }

  Napi::Value ListFrameSizes(const Napi::CallbackInfo& info) {
    uint32_t fourcc = FourccCode(StringArg(info, 0, "fourcc"));
    return Run<std::vector<v4l2_frmsizeenum>>(
        "VIDIOC_ENUM_FRAMESIZES",
        [fourcc](int fd) {
          std::vector<v4l2_frmsizeenum> sizes;
          for (uint32_t index = 0; index < 4096; index++) {
            v4l2_frmsizeenum size{};
            size.index = index;
            size.pixel_format = fourcc;
            if (Ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == -1) {
              // EINVAL ends the list (or says the format has none); ENOTTY: not enumerable.
              if (errno == EINVAL || errno == ENOTTY) break;
              Throw("VIDIOC_ENUM_FRAMESIZES", errno);
            }
            sizes.push_back(size);
            if (size.type != V4L2_FRMSIZE_TYPE_DISCRETE) break;
          }
          return sizes;
        },
        [](Napi::Env env, std::vector<v4l2_frmsizeenum>& sizes) -> Napi::Value {
          Napi::Array list = Napi::Array::New(env, sizes.size());
          for (size_t i = 0; i < sizes.size(); i++) {
            const v4l2_frmsizeenum& size = sizes[i];
            Napi::Object entry = Napi::Object::New(env);
            if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
              entry.Set("type", "discrete");
              entry.Set("width", Napi::Number::New(env, size.discrete.width));
              entry.Set("height", Napi::Number::New(env, size.discrete.height));
            } else {
              const v4l2_frmsize_stepwise& step = size.stepwise;
              entry.Set("type", size.type == V4L2_FRMSIZE_TYPE_CONTINUOUS ? "continuous" : "stepwise");
              entry.Set("minWidth", Napi::Number::New(env, step.min_width));
              entry.Set("maxWidth", Napi::Number::New(env, step.max_width));
              entry.Set("stepWidth", Napi::Number::New(env, step.step_width));
              entry.Set("minHeight", Napi::Number::New(env, step.min_height));
              entry.Set("maxHeight", Napi::Number::New(env, step.max_height));
              entry.Set("stepHeight", Napi::Number::New(env, step.step_height));
            }
            list.Set(static_cast<uint32_t>(i), entry);
          }
          return list;
        });
  }

  Napi::Value ListFrameIntervals(const Napi::CallbackInfo& info) {
    uint32_t fourcc = FourccCode(StringArg(info, 0, "fourcc"));
    uint32_t width = UintArg(info, 1, "width");
    uint32_t height = UintArg(info, 2, "height");
    return Run<std::vector<v4l2_frmivalenum>>(
        "VIDIOC_ENUM_FRAMEINTERVALS",
        [fourcc, width, height](int fd) {
          std::vector<v4l2_frmivalenum> intervals;
          for (uint32_t index = 0; index < 4096; index++) {
            v4l2_frmivalenum interval{};
            interval.index = index;
            interval.pixel_format = fourcc;
            interval.width = width;
            interval.height = height;
            if (Ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &interval) == -1) {
              if (errno == EINVAL || errno == ENOTTY) break;
              Throw("VIDIOC_ENUM_FRAMEINTERVALS", errno);
            }
            intervals.push_back(interval);
            if (interval.type != V4L2_FRMIVAL_TYPE_DISCRETE) break;
          }
          return intervals;
        },
        [](Napi::Env env, std::vector<v4l2_frmivalenum>& intervals) -> Napi::Value {
          Napi::Array list = Napi::Array::New(env, intervals.size());
          for (size_t i = 0; i < intervals.size(); i++) {
            const v4l2_frmivalenum& interval = intervals[i];
            Napi::Object entry;
            if (interval.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
              entry = FractionObject(env, interval.discrete);
              entry.Set("type", "discrete");
              entry.Set("fps", Napi::Number::New(env, Fps(interval.discrete)));
            } else {
              const v4l2_frmival_stepwise& step = interval.stepwise;
              entry = Napi::Object::New(env);
              entry.Set("type",
                        interval.type == V4L2_FRMIVAL_TYPE_CONTINUOUS ? "continuous" : "stepwise");
              entry.Set("min", FractionObject(env, step.min));
              entry.Set("max", FractionObject(env, step.max));
              entry.Set("step", FractionObject(env, step.step));
              entry.Set("maxFps", Napi::Number::New(env, Fps(step.min)));
              entry.Set("minFps", Napi::Number::New(env, Fps(step.max)));
            }
            list.Set(static_cast<uint32_t>(i), entry);
          }
          return list;
        });
  }

  static v4l2_format ReadFormat(int fd) {
    v4l2_format format{};
    format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    IOCTL_OR_THROW(fd, VIDIOC_G_FMT, &format);
    return format;
  }

  Napi::Value GetFormat(const Napi::CallbackInfo&) {
    return Run<v4l2_format>(
        "VIDIOC_G_FMT", [](int fd) { return ReadFormat(fd); },
        [](Napi::Env env, v4l2_format& format) -> Napi::Value {
          return FormatObject(env, format.fmt.pix);
        });
  }

  Napi::Value SetFormat(const Napi::CallbackInfo& info) {
    uint32_t width = UintArg(info, 0, "width");
    uint32_t height = UintArg(info, 1, "height");
    uint32_t fourcc = FourccCode(StringArg(info, 2, "fourcc"));
    return Run<v4l2_format>(
        "VIDIOC_S_FMT",
        [width, height, fourcc](int fd) {
          v4l2_format format = ReadFormat(fd);
          format.fmt.pix.width = width;
          format.fmt.pix.height = height;
          format.fmt.pix.pixelformat = fourcc;
          format.fmt.pix.field = V4L2_FIELD_ANY;
          format.fmt.pix.bytesperline = 0;
          format.fmt.pix.sizeimage = 0;
          IOCTL_OR_THROW(fd, VIDIOC_S_FMT, &format);
          return format;
        },
        [](Napi::Env env, v4l2_format& format) -> Napi::Value {
          return FormatObject(env, format.fmt.pix);
        });
  }

  static Parm ReadParm(int fd) {
    v4l2_streamparm parm{};
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    Parm result;
    if (Ioctl(fd, VIDIOC_G_PARM, &parm) == -1) {
      if (errno == ENOTTY) return result;  // the driver has no frame rate to tell
      Throw("VIDIOC_G_PARM", errno);
    }
    result.interval = parm.parm.capture.timeperframe;
    result.settable = (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) != 0;
    return result;
  }

  Napi::Value GetFrameRate(const Napi::CallbackInfo&) {
    return Run<Parm>(
        "VIDIOC_G_PARM", [](int fd) { return ReadParm(fd); },
        [](Napi::Env env, Parm& parm) -> Napi::Value { return FrameRateObject(env, parm); });
  }

  Napi::Value SetFrameRate(const Napi::CallbackInfo& info) {
    uint32_t numerator = UintArg(info, 0, "numerator");
    uint32_t denominator = UintArg(info, 1, "denominator");
    return Run<Parm>(
        "VIDIOC_S_PARM",
        [numerator, denominator](int fd) {
          v4l2_streamparm parm{};
          parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
          parm.parm.capture.timeperframe.numerator = numerator;
          parm.parm.capture.timeperframe.denominator = denominator;
          IOCTL_OR_THROW(fd, VIDIOC_S_PARM, &parm);
          Parm result;
          result.interval = parm.parm.capture.timeperframe;
          result.settable = (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) != 0;
          return result;
        },
        [](Napi::Env env, Parm& parm) -> Napi::Value { return FrameRateObject(env, parm); });
  }

  Napi::Value ListControls(const Napi::CallbackInfo&) {
    return Run<std::vector<Control>>(
        "VIDIOC_QUERY_EXT_CTRL",
        [](int fd) {
          std::vector<Control> controls;
          uint32_t next = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
          v4l2_query_ext_ctrl query{};
          query.id = next;
          for (int guard = 0; guard < 100000; guard++) {
            if (Ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &query) == -1) {
              // EINVAL: past the last control; ENOTTY: a driver with no controls.
              if (errno == EINVAL || errno == ENOTTY) break;
              Throw("VIDIOC_QUERY_EXT_CTRL", errno);
            }
            uint32_t id = query.id;
            if (query.type != V4L2_CTRL_TYPE_CTRL_CLASS &&
                !(query.flags & V4L2_CTRL_FLAG_DISABLED)) {
              Control control;
              control.query = query;
              if (IsScalarReadable(query)) {
                try {
                  control.value = ReadControl(fd, query);
                } catch (const SysError&) {
                  // Some controls cannot be read at some moments (EACCES, EBUSY): no value then.
                }
              }
              if ((query.type == V4L2_CTRL_TYPE_MENU || query.type == V4L2_CTRL_TYPE_INTEGER_MENU) &&
                  query.minimum >= 0 && query.maximum >= query.minimum &&
                  query.maximum - query.minimum < 4096) {
                for (int64_t index = query.minimum; index <= query.maximum; index++) {
                  v4l2_querymenu item{};
                  item.id = id;
                  item.index = static_cast<uint32_t>(index);
                  if (Ioctl(fd, VIDIOC_QUERYMENU, &item) == -1) continue;  // a skipped entry
                  MenuEntry entry{item.index, "", 0};
                  if (query.type == V4L2_CTRL_TYPE_MENU) {
                    entry.name = FixedString(item.name, sizeof item.name);
                  } else {
                    entry.value = item.value;
                  }
                  control.menu.push_back(entry);
                }
              }
              controls.push_back(std::move(control));
            }
            query = v4l2_query_ext_ctrl{};
            query.id = id | next;
          }
          return controls;
        },
        [](Napi::Env env, std::vector<Control>& controls) -> Napi::Value {
          Napi::Array list = Napi::Array::New(env, controls.size());
          for (size_t i = 0; i < controls.size(); i++) {
            const Control& control = controls[i];
            const v4l2_query_ext_ctrl& query = control.query;
            Napi::Object entry = Napi::Object::New(env);
            std::string name = FixedString(query.name, sizeof query.name);
            entry.Set("id", Napi::Number::New(env, query.id));
            entry.Set("name", name);
            entry.Set("key", ControlKey(name));
            entry.Set("type", ControlTypeName(query.type));
            entry.Set("typeCode", Napi::Number::New(env, query.type));
            entry.Set("min", Napi::Number::New(env, static_cast<double>(query.minimum)));
            entry.Set("max", Napi::Number::New(env, static_cast<double>(query.maximum)));
            entry.Set("step", Napi::Number::New(env, static_cast<double>(query.step)));
            entry.Set("default", Napi::Number::New(env, static_cast<double>(query.default_value)));
            entry.Set("flags", Names(env, query.flags, kControlFlags,
                                     sizeof kControlFlags / sizeof kControlFlags[0]));
            if (control.value.present) entry.Set("value", ControlValueToJs(env, control.value));
            if (query.type == V4L2_CTRL_TYPE_MENU || query.type == V4L2_CTRL_TYPE_INTEGER_MENU) {
              Napi::Array menu = Napi::Array::New(env, control.menu.size());
              for (size_t m = 0; m < control.menu.size(); m++) {
                Napi::Object item = Napi::Object::New(env);
                item.Set("index", Napi::Number::New(env, control.menu[m].index));
                if (query.type == V4L2_CTRL_TYPE_MENU) {
                  item.Set("name", control.menu[m].name);
                } else {
                  item.Set("value", Napi::Number::New(env, static_cast<double>(control.menu[m].value)));
                }
                menu.Set(static_cast<uint32_t>(m), item);
              }
              entry.Set("menu", menu);
            }
            list.Set(static_cast<uint32_t>(i), entry);
          }
          return list;
        });
  }

  // v4l2-ctl's name2var, rewritten: lowercase, runs of non-alphanumerics become one '_'.
  static std::string ControlKey(const std::string& name) {
    std::string key;
    bool gap = false;
    for (char c : name) {
      unsigned char u = static_cast<unsigned char>(c);
      if (std::isalnum(u)) {
        if (gap && !key.empty()) key += '_';
        gap = false;
        key += static_cast<char>(std::tolower(u));
      } else {
        gap = true;
      }
    }
    return key;
  }

  Napi::Value GetControl(const Napi::CallbackInfo& info) {
    uint32_t id = UintArg(info, 0, "id");
    return Run<ControlValue>(
        "VIDIOC_G_EXT_CTRLS",
        [id](int fd) {
          v4l2_query_ext_ctrl query = QueryControl(fd, id);
          if (query.type == V4L2_CTRL_TYPE_BUTTON || (query.flags & V4L2_CTRL_FLAG_WRITE_ONLY)) {
            Throw("VIDIOC_G_EXT_CTRLS", EACCES, "the control is write-only");
          }
          if (!IsScalarReadable(query)) {
            Throw("VIDIOC_G_EXT_CTRLS", EINVAL, "compound controls are not read by v4l2-camera");
          }
          return ReadControl(fd, query);
        },
        [](Napi::Env env, ControlValue& value) -> Napi::Value {
          return ControlValueToJs(env, value);
        });
  }

  Napi::Value SetControl(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = UintArg(info, 0, "id");
    ControlValue wanted;
    wanted.present = true;
    if (info.Length() < 2) throw Napi::TypeError::New(env, "setControl(id, value): value missing");
    Napi::Value value = info[1];
    if (value.IsString()) {
      wanted.isString = true;
      wanted.text = value.As<Napi::String>().Utf8Value();
    } else if (value.IsBigInt()) {
      bool lossless = false;
      wanted.number = value.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) throw Napi::RangeError::New(env, "control value does not fit 64 bits");
    } else if (value.IsNumber()) {
      double number = value.As<Napi::Number>().DoubleValue();
      if (number != number || number < -9.3e18 || number > 9.3e18) {
        throw Napi::RangeError::New(env, "control value out of range");
      }
      wanted.number = static_cast<int64_t>(number);
    } else {
      throw Napi::TypeError::New(env, "control value must be a number, bigint or string");
    }
    return Run<bool>(
        "VIDIOC_S_EXT_CTRLS",
        [id, wanted](int fd) {
          v4l2_query_ext_ctrl query = QueryControl(fd, id);
          v4l2_ext_control control{};
          control.id = id;
          std::vector<char> text;
          switch (query.type) {
            case V4L2_CTRL_TYPE_STRING:
              if (!wanted.isString) Throw("VIDIOC_S_EXT_CTRLS", EINVAL, "the control takes a string");
              text.assign(wanted.text.begin(), wanted.text.end());
              text.push_back('\0');
              control.size = static_cast<uint32_t>(text.size());
              control.string = text.data();
              break;
            case V4L2_CTRL_TYPE_INTEGER64:
              if (wanted.isString) Throw("VIDIOC_S_EXT_CTRLS", EINVAL, "the control takes a number");
              control.value64 = wanted.number;
              break;
            case V4L2_CTRL_TYPE_INTEGER:
            case V4L2_CTRL_TYPE_BOOLEAN:
            case V4L2_CTRL_TYPE_MENU:
            case V4L2_CTRL_TYPE_INTEGER_MENU:
            case V4L2_CTRL_TYPE_BUTTON:
            case V4L2_CTRL_TYPE_BITMASK:
              if (wanted.isString) Throw("VIDIOC_S_EXT_CTRLS", EINVAL, "the control takes a number");
              if (wanted.number < INT32_MIN || wanted.number > static_cast<int64_t>(UINT32_MAX)) {
                Throw("VIDIOC_S_EXT_CTRLS", ERANGE, "the control takes a 32-bit value");
              }
              control.value = static_cast<int32_t>(static_cast<uint32_t>(wanted.number));
              break;
            default:
              Throw("VIDIOC_S_EXT_CTRLS", EINVAL, "compound controls are not set by v4l2-camera");
          }
          v4l2_ext_controls controls{};
          controls.which = V4L2_CTRL_WHICH_CUR_VAL;
          controls.count = 1;
          controls.controls = &control;
          IOCTL_OR_THROW(fd, VIDIOC_S_EXT_CTRLS, &controls);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  // -------------------------------------------------------------------------
  // Streaming
  // -------------------------------------------------------------------------

  struct StartResult {
    std::vector<MappedBuffer> buffers;
    uint32_t timestampFlags = 0;
  };

  // REQBUFS, QUERYBUF + mmap, QBUF each, STREAMON. On failure, undoes what it did.
  static StartResult Start(int fd, uint32_t count) {
    StartResult result;
    v4l2_requestbuffers request{};
    request.count = count;
    request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    request.memory = V4L2_MEMORY_MMAP;
    IOCTL_OR_THROW(fd, VIDIOC_REQBUFS, &request);
    if (request.count == 0) Throw("VIDIOC_REQBUFS", ENOMEM, "the driver granted no buffers");
    try {
      for (uint32_t index = 0; index < request.count; index++) {
        v4l2_buffer buffer{};
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buffer.memory = V4L2_MEMORY_MMAP;
        buffer.index = index;
        IOCTL_OR_THROW(fd, VIDIOC_QUERYBUF, &buffer);
        result.timestampFlags = buffer.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK;
        MappedBuffer mapped;
        mapped.length = buffer.length;
        mapped.start = mmap(nullptr, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                            buffer.m.offset);
        if (mapped.start == MAP_FAILED) Throw("mmap", errno);
        result.buffers.push_back(mapped);
      }
      for (uint32_t index = 0; index < request.count; index++) {
        v4l2_buffer buffer{};
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buffer.memory = V4L2_MEMORY_MMAP;
        buffer.index = index;
        IOCTL_OR_THROW(fd, VIDIOC_QBUF, &buffer);
      }
      int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      IOCTL_OR_THROW(fd, VIDIOC_STREAMON, &type);
    } catch (const SysError&) {
      Unmap(fd, result.buffers, false);
      throw;
    }
    return result;
  }

  // STREAMOFF (when on), munmap each, REQBUFS 0. Errors are ignored: the device may be gone.
  static void Unmap(int fd, std::vector<MappedBuffer>& buffers, bool streamOn) {
    if (streamOn) {
      int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      Ioctl(fd, VIDIOC_STREAMOFF, &type);
    }
    for (MappedBuffer& buffer : buffers) {
      if (buffer.start != MAP_FAILED) munmap(buffer.start, buffer.length);
    }
    buffers.clear();
    v4l2_requestbuffers request{};
    request.count = 0;
    request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    request.memory = V4L2_MEMORY_MMAP;
    Ioctl(fd, VIDIOC_REQBUFS, &request);
  }

  // Caller holds the fd lock exclusively (or is a worker that owns the buffers).
  void ReleaseBuffers(int fd) {
    Unmap(fd, buffers_, streamOn_);
    streamOn_ = false;
  }

  class StartTask : public Napi::AsyncWorker {
   public:
    StartTask(Device* device, uint32_t count)
        : Napi::AsyncWorker(device->Env(), "VIDIOC_STREAMON"),
          device_(device),
          keep_(Napi::Persistent(device->Value())),
          count_(count),
          deferred_(Napi::Promise::Deferred::New(device->Env())) {}
    Napi::Promise Promise() { return deferred_.Promise(); }

   protected:
    void Execute() override {
      std::shared_lock<std::shared_mutex> lock(device_->fdMutex_);
      if (device_->fd_ < 0) {
        error_ = SysError{EBADF, "VIDIOC_REQBUFS", "the device is closed"};
        failed_ = true;
        return;
      }
      try {
        result_ = Start(device_->fd_, count_);
      } catch (const SysError& error) {
        error_ = error;
        failed_ = true;
      }
    }
    void OnOK() override {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      if (failed_) {
        device_->starting_ = false;
        device_->DropSink();
        deferred_.Reject(MakeError(env, error_, device_->path_).Value());
        return;
      }
      try {
        deferred_.Resolve(device_->Started(env, std::move(result_)));
      } catch (const SysError& error) {
        deferred_.Reject(MakeError(env, error, device_->path_).Value());
      }
    }
    void OnError(const Napi::Error& error) override {
      device_->starting_ = false;
      device_->DropSink();
      deferred_.Reject(error.Value());
    }

   private:
    Device* device_;
    Napi::ObjectReference keep_;  // the device stays alive while the call runs
    uint32_t count_;
    Napi::Promise::Deferred deferred_;
    StartResult result_;
    SysError error_{0, "", ""};
    bool failed_ = false;
  };

  class StopTask : public Napi::AsyncWorker {
   public:
    StopTask(Device* device, std::vector<MappedBuffer> buffers, bool streamOn)
        : Napi::AsyncWorker(device->Env(), "VIDIOC_STREAMOFF"),
          device_(device),
          keep_(Napi::Persistent(device->Value())),
          buffers_(std::move(buffers)),
          streamOn_(streamOn),
          deferred_(Napi::Promise::Deferred::New(device->Env())) {}
    Napi::Promise Promise() { return deferred_.Promise(); }

   protected:
    void Execute() override {
      std::shared_lock<std::shared_mutex> lock(device_->fdMutex_);
      if (device_->fd_ < 0) return;  // closed meanwhile: the kernel freed everything with the fd
      Unmap(device_->fd_, buffers_, streamOn_);
    }
    void OnOK() override {
      // Unmap failed only if the fd was closed first; unmapping is still ours to do.
      for (MappedBuffer& buffer : buffers_) {
        if (buffer.start != MAP_FAILED) munmap(buffer.start, buffer.length);
      }
      deferred_.Resolve(Env().Undefined());
    }
    void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

   private:
    Device* device_;
    Napi::ObjectReference keep_;  // the device stays alive while the call runs
    std::vector<MappedBuffer> buffers_;
    bool streamOn_;
    Napi::Promise::Deferred deferred_;
  };

  Napi::Value StartStreaming(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t count = UintArg(info, 0, "buffers");
    if (count < 1 || count > 32) throw Napi::RangeError::New(env, "buffers must be 1 to 32");
    if (info.Length() < 2 || !info[1].IsObject()) {
      throw Napi::TypeError::New(env, "startStreaming(buffers, sink): sink must be an object");
    }
    Napi::Object sink = info[1].As<Napi::Object>();
    bool lend = false;
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Value zeroCopy = info[2].As<Napi::Object>().Get("zeroCopy");
      lend = zeroCopy.IsBoolean() && zeroCopy.As<Napi::Boolean>().Value();
    }
    Napi::Value onFrame = sink.Get("frame");
    Napi::Value onError = sink.Get("error");
    if (!onFrame.IsFunction() || !onError.IsFunction()) {
      throw Napi::TypeError::New(env, "sink must have frame() and error() methods");
    }
    if (fd_ < 0) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(MakeError(env, SysError{EBADF, "VIDIOC_REQBUFS", "the device is closed"}, path_).Value());
      return deferred.Promise();
    }
    if (starting_ || streamOn_ || !buffers_.empty()) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(MakeError(env, SysError{EBUSY, "VIDIOC_REQBUFS", "already streaming"}, path_).Value());
      return deferred.Promise();
    }
    starting_ = true;
    lend_ = lend;
    sink_ = Napi::Persistent(sink);
    onFrame_ = Napi::Persistent(onFrame.As<Napi::Function>());
    onError_ = Napi::Persistent(onError.As<Napi::Function>());
    auto* task = new StartTask(this, count);
    Napi::Promise promise = task->Promise();
    task->Queue();
    return promise;
  }

  // On the main thread, after STREAMON: watch the fd.
  Napi::Value Started(Napi::Env env, StartResult result) {
    starting_ = false;
    if (fd_ < 0) {
      // Closed while starting (only possible past the TypeScript layer): unmap, report.
      for (MappedBuffer& buffer : result.buffers) munmap(buffer.start, buffer.length);
      DropSink();
      throw SysError{EBADF, "VIDIOC_STREAMON", "the device was closed while starting"};
    }
    if (sink_.IsEmpty()) {
      // stopStreaming() came while starting (again only past the TypeScript layer).
      std::unique_lock<std::shared_mutex> lock(fdMutex_);
      Unmap(fd_, result.buffers, true);
      throw SysError{ECANCELED, "VIDIOC_STREAMON", "stopped while starting"};
    }
    buffers_ = std::move(result.buffers);
    lent_.clear();
    lent_.resize(buffers_.size());
    streamOn_ = true;
    paused_ = false;
    asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "v4l2-camera:frame");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new PollHandle();
    poll_->device = this;
    poll_->addon = addon_;
    poll_->poll.data = poll_;
    int status = uv_poll_init(loop, &poll_->poll, fd_);
    if (status != 0) {
      delete poll_;
      poll_ = nullptr;
    } else {
      status = uv_poll_start(&poll_->poll, UV_READABLE, OnPoll);
      if (status != 0) ClosePoll();
    }
    if (status != 0) {
      {
        std::unique_lock<std::shared_mutex> lock(fdMutex_);
        ReleaseBuffers(fd_);
      }
      DropSink();
      throw SysError{-status, "uv_poll_start", ""};
    }
    Ref();  // a streaming device stays alive (and keeps the loop alive) until stopped
    refd_ = true;
    Napi::Object start = Napi::Object::New(env);
    start.Set("buffers", Napi::Number::New(env, static_cast<double>(buffers_.size())));
    start.Set("timestampFlags", Napi::Number::New(env, result.timestampFlags));
    return start;
  }

  static void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
    PollHandle* poll = static_cast<PollHandle*>(handle->data);
    Device* device = poll->device;
    if (device == nullptr) return;
    try {
      device->Ready(status);
    } catch (const Napi::Error&) {
      // JavaScript cannot run any more: the environment is ending (a worker
      // terminated, the process exiting) and its loop is closing handles. Stop
      // watching, or a readable fd would call back forever; the cleanup hook
      // then releases everything.
      if (device->poll_ != nullptr) uv_poll_stop(&device->poll_->poll);
      device->paused_ = true;
    }
  }

  // The fd is readable (or in error): dequeue what is done, copy, requeue, deliver.
  void Ready(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    // Normally one buffer per wake-up: the poll is level-triggered, so a second
    // ready buffer wakes us again, and no DQBUF is spent on EAGAIN. In error,
    // drain what is left before reporting.
    size_t limit = status < 0 ? buffers_.size() : 1;
    for (size_t round = 0; round < limit; round++) {
      if (!streamOn_ || paused_ || fd_ < 0) return;
      v4l2_buffer buffer{};
      buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buffer.memory = V4L2_MEMORY_MMAP;
      if (Ioctl(fd_, VIDIOC_DQBUF, &buffer) == -1) {
        if (errno == EAGAIN) break;
        Fail(SysError{errno, "VIDIOC_DQBUF", ""});
        return;
      }
      if (buffer.index >= buffers_.size()) {
        Fail(SysError{EIO, "VIDIOC_DQBUF", "the driver returned an unknown buffer"});
        return;
      }
      const MappedBuffer& mapped = buffers_[buffer.index];
      size_t used = std::min<size_t>(buffer.bytesused, mapped.length);
      Napi::Value data;
      bool lent = false;
      if (lend_) {
        // Zero-copy: JS gets the mapped memory itself, until it releases the
        // frame (releaseFrame), which detaches it and queues the buffer again.
        napi_value external;
        if (napi_create_external_arraybuffer(env, mapped.start, used, nullptr, nullptr, &external) ==
            napi_ok) {
          Napi::ArrayBuffer view(env, external);
          lent_[buffer.index] = Napi::Persistent(view);
          data = view;
          lent = true;
        }
      }
      int requeued = 0;
      int requeueError = 0;
      if (!lent) {
        data = Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(mapped.start), used);
        requeued = Queue(buffer.index);
        requeueError = errno;
      }
      Napi::Object frame = Napi::Object::New(env);
      frame.Set("data", data);
      frame.Set("bytesUsed", Napi::Number::New(env, static_cast<double>(used)));
      frame.Set("timestampUs",
                Napi::Number::New(env, static_cast<double>(buffer.timestamp.tv_sec) * 1e6 +
                                           static_cast<double>(buffer.timestamp.tv_usec)));
      frame.Set("sequence", Napi::Number::New(env, buffer.sequence));
      frame.Set("flags", Napi::Number::New(env, buffer.flags));
      if (lent) {
        frame.Set("index", Napi::Number::New(env, buffer.index));
        frame.Set("lent", Napi::Boolean::New(env, true));
      }
      Call(onFrame_, {frame});
      if (requeued == -1 && streamOn_) {
        Fail(SysError{requeueError, "VIDIOC_QBUF", ""});
        return;
      }
    }
    if (status < 0 && streamOn_ && !paused_) {
      // POLLERR: the queue is in error or the device is gone. DQBUF says which.
      v4l2_buffer buffer{};
      buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buffer.memory = V4L2_MEMORY_MMAP;
      if (Ioctl(fd_, VIDIOC_DQBUF, &buffer) == -1 && errno != EAGAIN) {
        Fail(SysError{errno, "VIDIOC_DQBUF", ""});
      } else {
        Fail(SysError{EIO, "poll", "the driver reported an error on the device"});
      }
    }
  }

  int Queue(uint32_t index) {
    v4l2_buffer again{};
    again.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    again.memory = V4L2_MEMORY_MMAP;
    again.index = index;
    return Ioctl(fd_, VIDIOC_QBUF, &again);
  }

  // JS is done with a lent frame: detach its view (it reads as empty from now
  // on, never as a later frame or as unmapped memory) and queue the buffer.
  Napi::Value ReleaseFrame(const Napi::CallbackInfo& info) {
    uint32_t index = UintArg(info, 0, "index");
    if (index < lent_.size() && !lent_[index].IsEmpty()) {
      Detach(lent_[index]);
      if (streamOn_ && fd_ >= 0 && Queue(index) == -1) Fail(SysError{errno, "VIDIOC_QBUF", ""});
    }
    return info.Env().Undefined();
  }

  static void Detach(Napi::Reference<Napi::ArrayBuffer>& lent) {
    napi_env env = lent.Env();
    napi_value view;
    if (napi_get_reference_value(env, lent, &view) == napi_ok && view != nullptr) {
      napi_detach_arraybuffer(env, view);
    }
    lent.Reset();
  }

  // Before buffers are unmapped: no JS view may still point at them.
  void DetachLent() {
    for (auto& lent : lent_) {
      if (!lent.IsEmpty()) Detach(lent);
    }
    lent_.clear();
  }

  void Call(Napi::FunctionReference& function, const std::initializer_list<napi_value>& args) {
    if (function.IsEmpty() || sink_.IsEmpty()) return;
    Napi::Env env = Env();
    napi_value result;
    napi_status status = napi_make_callback(env, *asyncContext_, sink_.Value(), function.Value(),
                                            args.size(), args.begin(), &result);
    if (status == napi_pending_exception) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);  // as any throwing event listener would
    }
  }

  // The stream broke: stop it here (the device may be gone), then tell JS.
  void Fail(const SysError& error) {
    Napi::Env env = Env();
    ClosePoll();
    DetachLent();
    {
      std::unique_lock<std::shared_mutex> lock(fdMutex_);
      if (fd_ >= 0) ReleaseBuffers(fd_);
    }
    Napi::Value js = MakeError(env, error, path_).Value();
    Napi::FunctionReference onError = std::move(onError_);
    Napi::ObjectReference sink = std::move(sink_);
    if (!onError.IsEmpty() && !sink.IsEmpty()) {
      napi_value result;
      napi_value args[] = {js};
      napi_status status =
          napi_make_callback(env, *asyncContext_, sink.Value(), onError.Value(), 1, args, &result);
      if (status == napi_pending_exception) {
        napi_value exception;
        napi_get_and_clear_last_exception(env, &exception);
        napi_fatal_exception(env, exception);
      }
    }
    DropSink();
  }

  Napi::Value PauseStreaming(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr && !paused_) {
      uv_poll_stop(&poll_->poll);
      paused_ = true;
    }
    return info.Env().Undefined();
  }

  Napi::Value ResumeStreaming(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr && paused_) {
      paused_ = false;
      int status = uv_poll_start(&poll_->poll, UV_READABLE, OnPoll);
      if (status != 0) Fail(SysError{-status, "uv_poll_start", ""});
    }
    return info.Env().Undefined();
  }

  Napi::Value StopStreaming(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ClosePoll();
    DetachLent();
    DropSink();
    if (fd_ < 0 || (!streamOn_ && buffers_.empty())) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    auto* task = new StopTask(this, std::move(buffers_), streamOn_);
    buffers_.clear();
    streamOn_ = false;
    Napi::Promise promise = task->Promise();
    task->Queue();
    return promise;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Shutdown();
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }

  void ClosePoll() {
    if (poll_ == nullptr) return;
    PollHandle* poll = poll_;
    poll_ = nullptr;
    poll->device = nullptr;
    uv_poll_stop(&poll->poll);
    addon_->closingPolls++;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll->poll), [](uv_handle_t* handle) {
      PollHandle* closed = static_cast<PollHandle*>(handle->data);
      std::shared_ptr<AddonData> addon = closed->addon;
      delete closed;
      addon->PollClosed();
    });
  }

  void DropSink() {
    onFrame_.Reset();
    onError_.Reset();
    sink_.Reset();
    if (refd_) {
      refd_ = false;
      if (!finalizing_) Unref();
    }
  }

  static std::string StringArg(const Napi::CallbackInfo& info, size_t at, const char* name) {
    if (info.Length() <= at || !info[at].IsString()) {
      throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string");
    }
    return info[at].As<Napi::String>().Utf8Value();
  }

  static uint32_t UintArg(const Napi::CallbackInfo& info, size_t at, const char* name) {
    if (info.Length() <= at || !info[at].IsNumber()) {
      throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
    }
    double value = info[at].As<Napi::Number>().DoubleValue();
    if (!(value >= 0 && value <= 4294967295.0) || value != static_cast<double>(static_cast<uint32_t>(value))) {
      throw Napi::RangeError::New(info.Env(), std::string(name) + " must be a whole number from 0 to 2^32-1");
    }
    return static_cast<uint32_t>(value);
  }

  std::shared_ptr<AddonData> addon_;
  std::string path_;
  int fd_ = -1;
  // Workers hold it shared while they use the fd; closing takes it exclusively.
  std::shared_mutex fdMutex_;
  std::vector<MappedBuffer> buffers_;
  bool streamOn_ = false;
  bool starting_ = false;
  bool paused_ = false;
  bool refd_ = false;
  bool finalizing_ = false;
  // Zero-copy streaming: frames lend their mapped buffer until released.
  bool lend_ = false;
  std::vector<Napi::Reference<Napi::ArrayBuffer>> lent_;
  PollHandle* poll_ = nullptr;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  Napi::ObjectReference sink_;
  Napi::FunctionReference onFrame_;
  Napi::FunctionReference onError_;
};

// ---------------------------------------------------------------------------
// Module functions
// ---------------------------------------------------------------------------

class OpenTask : public Napi::AsyncWorker {
 public:
  OpenTask(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "v4l2-camera:open"),
        path_(std::move(path)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    int fd;
    do {
      fd = ::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    } while (fd == -1 && errno == EINTR);
    if (fd == -1) {
      error_ = SysError{errno, "open", ""};
      return;
    }
    try {
      QueryCap(fd);
    } catch (const SysError& error) {
      error_ = error;
      if (error.err == ENOTTY || error.err == EINVAL) error_.detail = "not a V4L2 device";
      ::close(fd);
      return;
    }
    fd_ = fd;
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (fd_ < 0) {
      deferred_.Reject(MakeError(env, error_, path_).Value());
      return;
    }
    auto addon = *env.GetInstanceData<std::shared_ptr<AddonData>>();
    try {
      Napi::Object device = addon->deviceConstructor.New(
          {Napi::Number::New(env, fd_), Napi::String::New(env, path_)});
      deferred_.Resolve(device);
    } catch (const Napi::Error& error) {
      ::close(fd_);
      deferred_.Reject(error.Value());
    }
  }
  void OnError(const Napi::Error& error) override {
    if (fd_ >= 0) ::close(fd_);
    deferred_.Reject(error.Value());
  }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  int fd_ = -1;
  SysError error_{0, "", ""};
};

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "open(path): path must be a string");
  }
  auto* task = new OpenTask(env, info[0].As<Napi::String>().Utf8Value());
  Napi::Promise promise = task->Promise();
  task->Queue();
  return promise;
}

Napi::Value DevicePaths(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  std::vector<std::pair<unsigned long, std::string>> found;
  if (DIR* dir = opendir("/dev")) {
    while (dirent* entry = readdir(dir)) {
      const char* name = entry->d_name;
      if (std::strncmp(name, "video", 5) != 0 || name[5] == '\0') continue;
      bool digits = true;
      for (const char* c = name + 5; *c; c++) digits = digits && std::isdigit(static_cast<unsigned char>(*c));
      if (!digits) continue;
      found.emplace_back(std::strtoul(name + 5, nullptr, 10), std::string("/dev/") + name);
    }
    closedir(dir);
  }
  std::sort(found.begin(), found.end());
  Napi::Array paths = Napi::Array::New(env, found.size());
  for (size_t i = 0; i < found.size(); i++) paths.Set(static_cast<uint32_t>(i), found[i].second);
  deferred.Resolve(paths);
  return deferred.Promise();
}

// The environment is ending (process exit, worker thread end): close every
// device; Node waits until the poll handles have closed.
void Teardown(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* addon = static_cast<std::shared_ptr<AddonData>*>(arg);
  std::shared_ptr<AddonData> data = *addon;
  data->tearingDown = true;
  data->cleanupHook = handle;
  std::vector<Device*> devices(data->devices.begin(), data->devices.end());
  for (Device* device : devices) device->Shutdown();
  if (data->closingPolls == 0) {
    napi_remove_async_cleanup_hook(handle);
    data->cleanupHook = nullptr;
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* addon = new std::shared_ptr<AddonData>(std::make_shared<AddonData>());
  env.SetInstanceData<std::shared_ptr<AddonData>>(addon);
  (*addon)->deviceConstructor = Napi::Persistent(Device::Define(env));
  // Lives as long as the environment; Node frees it with the environment.
  (*addon)->deviceConstructor.SuppressDestruct();
  napi_add_async_cleanup_hook(env, Teardown, addon, nullptr);
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("devicePaths", Napi::Function::New(env, DevicePaths, "devicePaths"));
  return exports;
}

}  // namespace

NODE_API_MODULE(v4l2_camera, Init)
