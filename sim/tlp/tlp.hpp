// One TLP class every rcsim model uses, and its codec: TLP <-> DW vector <->
// beats (tlp_beats.hpp) and the spec's wire byte order. The packing is the
// one agreed with rtl/: header DWs are numbered as the PCIe Base
// Specification draws them (DW bit 31 = bit 7 of the DW's first wire byte),
// payload DWs are little-endian as host memory holds them. Decoding never
// throws on hostile input: it returns a Decoded with a reason instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rcsim::tlp {

enum class TlpType : uint8_t {
    MemRd32,
    MemRd64,
    MemWr32,
    MemWr64,
    CfgRd0,
    CfgWr0,
    Cpl,
    CplD,
    Msg,  // 4 DW, no data
    MsgD, // 4 DW, with data
    IoRd, // 3 DW, 32-bit address, length 1
    IoWr, // 3 DW, 32-bit address, length 1, non-posted
};

// Completion status, DW1[15:13] of a completion.
enum class CplStatus : uint8_t { SC = 0, UR = 1, CRS = 2, CA = 4 };

// Message codes for the INTx virtual wires (routing "local", r = 100b).
enum class MsgCode : uint8_t {
    AssertIntA = 0x20,
    AssertIntB = 0x21,
    AssertIntC = 0x22,
    AssertIntD = 0x23,
    DeassertIntA = 0x24,
    DeassertIntB = 0x25,
    DeassertIntC = 0x26,
    DeassertIntD = 0x27,
};

constexpr uint8_t kMsgRoutingLocal = 0x4;

struct Tlp {
    TlpType type = TlpType::MemRd32;
    uint8_t tc = 0;   // 3 bits
    uint8_t attr = 0; // bit 2 = ID-based ordering (DW0[18]), bits 1:0 = DW0[13:12]
    bool th = false;
    bool td = false; // a digest DW follows the payload
    bool ep = false; // poisoned
    uint8_t at = 0;  // 2 bits
    // Header length field in DW (1..1024). Kept apart from the payload so a
    // model can send a TLP whose length disagrees with its data on purpose.
    uint16_t length = 1;

    uint16_t requester_id = 0;
    uint8_t tag = 0;
    uint8_t first_be = 0xf;
    uint8_t last_be = 0;
    uint64_t address = 0; // byte address, bits 1:0 are not encoded

    // Config requests: target function (bus<<8 | dev<<3 | func) and the DW
    // register number (ext reg << 6 | reg), byte offset = register * 4.
    uint16_t dest_id = 0;
    uint16_t register_number = 0;

    // Completions.
    uint16_t completer_id = 0;
    CplStatus status = CplStatus::SC;
    bool bcm = false;
    uint16_t byte_count = 0;   // 12 bits, 0 means 4096
    uint8_t lower_address = 0; // 7 bits

    // Messages.
    uint8_t msg_routing = kMsgRoutingLocal;
    uint8_t msg_code = 0;
    uint32_t msg_dw2 = 0;
    uint32_t msg_dw3 = 0;

    // Payload bytes in address order, whole DWs (first_be/last_be say which
    // bytes count). The digest DW, if td, is not part of it.
    std::vector<uint8_t> payload;
    uint32_t digest = 0;

    // --- builders: header fields consistent with the payload ---
    // Memory read of `bytes` bytes at byte address `addr` (3 DW header below
    // 4 GiB, 4 DW at or above, as the spec requires).
    static Tlp mem_read(uint64_t addr, uint32_t bytes, uint16_t requester_id, uint8_t tag);
    static Tlp mem_write(uint64_t addr, const std::vector<uint8_t> &data, uint16_t requester_id,
                         uint8_t tag = 0);
    static Tlp mem_write(uint64_t addr, const uint8_t *data, size_t bytes, uint16_t requester_id,
                         uint8_t tag = 0);
    static Tlp cfg_read(uint16_t dest_id, uint16_t byte_offset, uint16_t requester_id, uint8_t tag,
                        uint8_t first_be = 0xf);
    static Tlp cfg_write(uint16_t dest_id, uint16_t byte_offset, uint32_t value,
                         uint16_t requester_id, uint8_t tag, uint8_t first_be = 0xf);
    // I/O read/write of the DW holding `addr` (bits 1:0 dropped), byte
    // enables as given, last BE 0 and length 1 as the spec requires.
    static Tlp io_read(uint32_t addr, uint8_t first_be, uint16_t requester_id, uint8_t tag);
    static Tlp io_write(uint32_t addr, uint8_t first_be, uint32_t value, uint16_t requester_id,
                        uint8_t tag);
    // Completion without data (status UR/CA/...); byte count per the spec for
    // a failed request is the remaining count, lower address 0.
    static Tlp completion(const Tlp &request, uint16_t completer_id, CplStatus status);
    // Completion with `data` (whole DWs, the first holding lower_address).
    static Tlp completion_data(uint16_t requester_id, uint8_t tag, uint16_t completer_id,
                               uint16_t byte_count, uint8_t lower_address,
                               const std::vector<uint8_t> &data);
    static Tlp intx(MsgCode code, uint16_t requester_id);

    // --- queries ---
    bool is_memory() const;
    bool is_io() const;    // IoRd or IoWr
    bool is_read() const;  // MemRd, CfgRd or IoRd
    bool is_write() const; // MemWr, CfgWr or IoWr
    bool is_completion() const;
    bool is_message() const;
    bool has_data() const; // fmt says a payload follows
    bool is_posted() const {
        return type == TlpType::MemWr32 || type == TlpType::MemWr64 || is_message();
    }
    unsigned header_dws() const;
    // Length field decoded: 0 in the header means 1024.
    unsigned length_dws() const { return length == 0 ? 1024u : length; }
    // Bytes a memory/config request covers per its length and byte enables.
    uint32_t request_bytes() const;
    // Byte address of the first enabled byte.
    uint64_t first_byte_address() const;
    // Bytes of the payload that the byte enables select, in address order.
    std::vector<uint8_t> enabled_bytes() const;

    uint8_t fmt() const;
    uint8_t type_field() const;

    std::string describe() const;
    bool operator==(const Tlp &o) const;
    bool operator!=(const Tlp &o) const { return !(*this == o); }
};

// Result of decoding untrusted input.
struct Decoded {
    std::optional<Tlp> tlp;
    std::string error; // empty when tlp is set
    bool ok() const { return tlp.has_value(); }
    static Decoded fail(std::string why) { return Decoded{std::nullopt, std::move(why)}; }
};

// --- DW vector (header DWs as the spec draws them, payload DWs little-endian) ---
std::vector<uint32_t> encode_dws(const Tlp &tlp);
Decoded decode_dws(const std::vector<uint32_t> &dws);
// The header alone, from the first `n` DWs of a TLP whose payload may not
// have arrived yet (a port's first beat): no payload, no length check.
Decoded decode_header(const uint32_t *dws, size_t n);

// --- spec wire byte order (header bytes as the spec's figures show them,
// payload bytes in address order) ---
std::vector<uint8_t> encode_wire(const Tlp &tlp);
Decoded decode_wire(const std::vector<uint8_t> &bytes);

// Pack / unpack DWs with the two byte orders of TLP-PACKING.md.
uint32_t header_dw_from_bytes(const uint8_t *b);
uint32_t payload_dw_from_bytes(const uint8_t *b);

// Known (fmt, type) pair -> TlpType; nullopt when rcsim does not model it.
std::optional<TlpType> type_from_fields(uint8_t fmt, uint8_t type);
const char *type_name(TlpType t);

} // namespace rcsim::tlp
